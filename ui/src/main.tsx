import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getBackend } from './backend';
import './styles.css';

createRoot(document.getElementById('root')!).render(<App backend={getBackend()} />);
