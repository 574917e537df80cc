fn main() {
    let _ = switchboard_render::EXCEL_SHEET_ROWS;
    let _ = polars::prelude::DataFrame::empty();
}
