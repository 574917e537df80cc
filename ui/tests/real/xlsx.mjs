// Enough of the XLSX format to read a workbook back in the browser tests on the real engine,
// with node's own zlib: a test that exports from the screen checks the file it wrote without
// any spreadsheet package, so the reader is independent of the writer.
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';

/** The files of a zip archive (an .xlsx), by name: enough of the format for a workbook. */
export function unzip(bytes) {
  const files = {};
  // The end-of-central-directory record: its last 22 bytes when there is no comment.
  let eocd = bytes.length - 22;
  while (eocd >= 0 && bytes.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'a zip archive');
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    assert.equal(bytes.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30);
    const comment = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(dataAt, dataAt + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

/** The cells of a worksheet's XML as rows of text (inline or shared strings, numbers as written). */
export function sheetRows(files, sheet) {
  const shared = [...(files['xl/sharedStrings.xml'] ?? '').matchAll(/<si>(.*?)<\/si>/gs)].map((m) => [...m[1].matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join(''));
  const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  return [...files[sheet].matchAll(/<row[^>]*>(.*?)<\/row>/gs)].map((row) =>
    [...row[1].matchAll(/<c ([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)].map(([, attrs, body = '']) => {
      const type = /t="(\w+)"/.exec(attrs)?.[1];
      if (type === 's') return unescape(shared[Number(/<v>(.*?)<\/v>/.exec(body)[1])]);
      if (type === 'inlineStr') return unescape([...body.matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join(''));
      return /<v>(.*?)<\/v>/.exec(body)?.[1] ?? '';
    }),
  );
}

