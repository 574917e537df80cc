//! A result turned sideways: one row per value of one column, one column per value of
//! another, the measure where they meet. The crosstab sheet and the native chart's data both
//! come from here, so a crosstab and a chart of the same report show the same numbers.

use crate::value::{cell, Cell};
use crate::ResultTable;
use std::collections::HashMap;
use switchboard_model::canonical::ValueFormat;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pivot {
    /// Heading of the row-key column.
    pub row_heading: String,
    pub row_format: ValueFormat,
    pub col_format: ValueFormat,
    pub value_format: ValueFormat,
    /// Keys in the order they first appear in the result, which is the report's sort.
    pub row_keys: Vec<Cell>,
    pub col_keys: Vec<Cell>,
    /// Per row key: (column key index, value). Sparse, because a crosstab of a sparse result
    /// (few agents on each of many days) would otherwise be mostly empty memory.
    pub cells: Vec<Vec<(usize, Cell)>>,
}

/// A hashable stand-in for a cell, so keys are found in constant time on large results.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Empty,
    Text(String),
    Number(u64),
    Bool(bool),
    Time(i64),
}

fn key(c: &Cell) -> Key {
    match c {
        Cell::Empty => Key::Empty,
        Cell::Text(s) => Key::Text(s.clone()),
        Cell::Number(x) => Key::Number(if *x == 0.0 { 0 } else { x.to_bits() }),
        Cell::Bool(b) => Key::Bool(*b),
        Cell::Time(t) => Key::Time(t.and_utc().timestamp_millis()),
    }
}

struct Keys {
    index: HashMap<Key, usize>,
    cells: Vec<Cell>,
}

impl Keys {
    fn new() -> Self {
        Keys { index: HashMap::new(), cells: Vec::new() }
    }

    fn position(&mut self, c: Cell) -> usize {
        let next = self.cells.len();
        let i = *self.index.entry(key(&c)).or_insert(next);
        if i == next {
            self.cells.push(c);
        }
        i
    }
}

/// Pivots `value` by `row` × `col`. Without `col` there is one column, named after the value.
/// When a pair repeats, the later row wins, as on the screen chart.
pub(crate) fn pivot(table: &ResultTable, row: usize, col: Option<usize>, value: usize) -> Pivot {
    let columns = table.frame.columns();
    let mut rows = Keys::new();
    let mut cols = Keys::new();
    let mut cells: Vec<Vec<(usize, Cell)>> = Vec::new();
    if col.is_none() {
        cols.position(Cell::Text(table.columns[value].name.clone()));
    }
    for r in 0..table.frame.height() {
        let ri = rows.position(cell(&columns[row], r));
        let ci = match col {
            Some(c) => cols.position(cell(&columns[c], r)),
            None => 0,
        };
        if ri == cells.len() {
            cells.push(Vec::new());
        }
        let v = cell(&columns[value], r);
        match cells[ri].iter_mut().find(|(c, _)| *c == ci) {
            Some(slot) => slot.1 = v,
            None => cells[ri].push((ci, v)),
        }
    }
    Pivot {
        row_heading: table.columns[row].name.clone(),
        row_format: table.columns[row].format,
        col_format: match col {
            Some(c) => table.columns[c].format,
            None => ValueFormat::Text,
        },
        value_format: table.columns[value].format,
        row_keys: rows.cells,
        col_keys: cols.cells,
        cells,
    }
}

/// One row per measure of the single total row: what a chart without groups draws.
pub(crate) fn totals(table: &ResultTable, measures: &[usize], y: usize) -> Pivot {
    let columns = table.frame.columns();
    let has_row = table.frame.height() > 0;
    Pivot {
        row_heading: "Measure".into(),
        row_format: ValueFormat::Text,
        col_format: ValueFormat::Text,
        value_format: table.columns[y].format,
        row_keys: measures.iter().map(|&m| Cell::Text(table.columns[m].name.clone())).collect(),
        col_keys: vec![Cell::Text(table.columns[y].name.clone())],
        cells: measures
            .iter()
            .map(|&m| if has_row { vec![(0, cell(&columns[m], 0))] } else { vec![] })
            .collect(),
    }
}

/// A pivoted report written as a spreadsheet crosstab: every group but the pivot column keeps
/// its own column at the left (row headers stay filterable and sortable), each value of the
/// pivot column becomes a column — or, with several measures, one column per value and
/// measure — and the measures sit where they meet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wide {
    /// Headings and formats of the row-header columns.
    pub row_headings: Vec<String>,
    pub row_formats: Vec<ValueFormat>,
    pub col_format: ValueFormat,
    /// Measure headings and formats, in report order.
    pub measures: Vec<(String, ValueFormat)>,
    /// Row-header tuples in the order they first appear (the report's sort).
    pub row_keys: Vec<Vec<Cell>>,
    pub col_keys: Vec<Cell>,
    /// Per row: (column key index, measure values). Sparse, as in [`Pivot`].
    pub cells: Vec<Vec<(usize, Vec<Cell>)>>,
}

/// Pivots the table on group column `col`: the other groups down the side, `col`'s values
/// across, every measure where they meet.
pub(crate) fn wide(table: &ResultTable, col: usize) -> Wide {
    let columns = table.frame.columns();
    let row_cols: Vec<usize> = (0..table.groups).filter(|&g| g != col).collect();
    let measure_cols: Vec<usize> = (table.groups..table.columns.len()).collect();
    let mut row_index: HashMap<Vec<Key>, usize> = HashMap::new();
    let mut row_keys: Vec<Vec<Cell>> = Vec::new();
    let mut cols = Keys::new();
    let mut cells: Vec<Vec<(usize, Vec<Cell>)>> = Vec::new();
    for r in 0..table.frame.height() {
        let tuple: Vec<Cell> = row_cols.iter().map(|&g| cell(&columns[g], r)).collect();
        let next = row_keys.len();
        let ri = *row_index.entry(tuple.iter().map(key).collect()).or_insert(next);
        if ri == next {
            row_keys.push(tuple);
            cells.push(Vec::new());
        }
        let ci = cols.position(cell(&columns[col], r));
        let values: Vec<Cell> = measure_cols.iter().map(|&m| cell(&columns[m], r)).collect();
        match cells[ri].iter_mut().find(|(c, _)| *c == ci) {
            Some(slot) => slot.1 = values,
            None => cells[ri].push((ci, values)),
        }
    }
    Wide {
        row_headings: row_cols.iter().map(|&g| table.columns[g].name.clone()).collect(),
        row_formats: row_cols.iter().map(|&g| table.columns[g].format).collect(),
        col_format: table.columns[col].format,
        measures: measure_cols.iter().map(|&m| (table.columns[m].name.clone(), table.columns[m].format)).collect(),
        row_keys,
        col_keys: cols.cells,
        cells,
    }
}
