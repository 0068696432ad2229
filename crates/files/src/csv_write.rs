use std::io::{self, Write};

use crate::guard::neutralize_formula;

/// CSV for Excel users in Russia: UTF-8 with BOM (without it Excel assumes windows-1251 and shows
/// mojibake), `;` separator (the list separator of the Russian locale), CRLF, every row the same width,
/// formula injection neutralised.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    width: usize,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM and the header row, so even an export with no rows opens with named columns.
    pub fn new(mut w: W, headers: &[&str]) -> io::Result<Self> {
        w.write_all(b"\xEF\xBB\xBF")?;
        let inner = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .has_headers(false)
            .from_writer(w);
        let mut writer = CsvWriter {
            inner,
            width: headers.len(),
        };
        writer.write_row(headers)?;
        Ok(writer)
    }

    /// Writes one row, padding short rows with empty cells; a row wider than the header is rejected
    /// because Excel would show its surplus under no column.
    pub fn write_row(&mut self, cells: &[&str]) -> io::Result<()> {
        if cells.len() > self.width {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("row has {} cells, the header has {}", cells.len(), self.width),
            ));
        }
        for cell in cells {
            self.inner.write_field(neutralize_formula(cell).as_bytes())?;
        }
        for _ in cells.len()..self.width {
            self.inner.write_field(b"")?;
        }
        self.inner.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes and returns the underlying writer, so callers can finish a response body or file.
    pub fn finish(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|error| error.into_error())
    }
}
