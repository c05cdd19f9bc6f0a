//! The Parquet report: one row per listed customer with the CSV's columns (`row`), typed:
//! integers, doubles (rounded as in the CSV), booleans and text, nulls where the CSV is empty.
//! Written in row groups of `ROUND` customers, each rendered on every core a round ahead of
//! the encoder, so memory stays bounded; compressed with Snappy, which every Parquet reader
//! understands.

use super::ReportContext;
use super::format::round;
use super::row::{self, Cell};
use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use std::io::Write;
use std::sync::Arc;

/// Customers per row group.
const ROUND: usize = 65_536;

enum Column {
    Int(Int64Builder),
    Float(Float64Builder),
    Text(StringBuilder),
    Bool(BooleanBuilder),
}

impl Column {
    fn for_cell(cell: &Cell) -> (Self, DataType) {
        match cell {
            Cell::Int(_) => (Self::Int(Int64Builder::new()), DataType::Int64),
            Cell::Float(..) | Cell::Exact(_) => {
                (Self::Float(Float64Builder::new()), DataType::Float64)
            }
            Cell::Text(_) => (Self::Text(StringBuilder::new()), DataType::Utf8),
            Cell::Bool(_) => (Self::Bool(BooleanBuilder::new()), DataType::Boolean),
        }
    }

    fn push(&mut self, cell: Cell) {
        match (self, cell) {
            (Self::Int(builder), Cell::Int(value)) => builder.append_option(value),
            (Self::Float(builder), Cell::Float(value, places)) => {
                builder.append_option(value.map(|v| round(v, places)));
            }
            (Self::Float(builder), Cell::Exact(value)) => builder.append_option(value),
            (Self::Text(builder), Cell::Text(value)) => builder.append_option(value),
            (Self::Bool(builder), Cell::Bool(value)) => builder.append_option(value),
            // Every row has the same cell kinds in the same places (`row::cells`).
            (Self::Int(builder), _) => builder.append_null(),
            (Self::Float(builder), _) => builder.append_null(),
            (Self::Text(builder), _) => builder.append_null(),
            (Self::Bool(builder), _) => builder.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Int(builder) => Arc::new(builder.finish()),
            Self::Float(builder) => Arc::new(builder.finish()),
            Self::Text(builder) => Arc::new(builder.finish()),
            Self::Bool(builder) => Arc::new(builder.finish()),
        }
    }
}

fn to_io(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// Streams the Parquet file to `out`.
pub fn write(
    context: &ReportContext,
    options: super::Options,
    out: &mut (dyn Write + Send),
) -> std::io::Result<()> {
    write_parts(context, &mut super::whole(context), options, out)
}

/// Streams the Parquet file of `parts`' listed customers to `out` (the columns from `context`).
pub fn write_parts(
    context: &ReportContext,
    parts: &mut super::Parts,
    options: super::Options,
    out: &mut (dyn Write + Send),
) -> std::io::Result<()> {
    // The kinds of the columns, from any customer's row (the listed ones may be none).
    let sample = context.customers.first().copied().unwrap_or(0);
    let prototype = row::cells(
        context,
        &context.analysis.insight(context.dataset, sample),
        options,
    );
    let types: Vec<DataType> = prototype
        .iter()
        .map(|cell| Column::for_cell(cell).1)
        .collect();
    let builders = || -> Vec<Column> {
        prototype
            .iter()
            .map(|cell| Column::for_cell(cell).0)
            .collect()
    };
    let schema = Arc::new(Schema::new(
        row::header(context, options)
            .into_iter()
            .zip(types)
            .map(|(name, kind)| Field::new(name, kind, true))
            .collect::<Vec<_>>(),
    ));
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROUND))
        .build();
    let mut writer =
        ArrowWriter::try_new(&mut *out, schema.clone(), Some(properties)).map_err(to_io)?;
    // Each core builds the columns of its slice of a round, a round ahead of the encoder here
    // (which compresses one column after another on one core and gathers the slices into
    // row groups of `ROUND`).
    let slice = (ROUND / (4 * rayon::current_num_threads().max(1))).max(1);
    let build_slice = |context: &ReportContext, customers: &[usize]| {
        let mut columns = builders();
        let built: Result<(), std::convert::Infallible> =
            super::each_warmed(context, customers, |_, customer| {
                let insight = context.analysis.insight(context.dataset, customer);
                for (column, cell) in columns
                    .iter_mut()
                    .zip(row::cells(context, &insight, options))
                {
                    column.push(cell);
                }
                Ok(())
            });
        let Ok(()) = built;
        let arrays: Vec<ArrayRef> = columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(schema.clone(), arrays).map_err(to_io)
    };
    parts(&mut |context| {
        let (sender, rounds) = std::sync::mpsc::sync_channel(1);
        let build_slice = &build_slice;
        std::thread::scope(|scope| {
            // Owns the sender: the rounds end when it does.
            scope.spawn(move || {
                for customers in context.customers.chunks(ROUND) {
                    let batches: Vec<std::io::Result<RecordBatch>> = customers
                        .par_chunks(slice)
                        .map(|slice| build_slice(context, slice))
                        .collect();
                    // The writer stopped (an error): build no more.
                    if sender.send(batches).is_err() {
                        break;
                    }
                }
            });
            // An early return drops the receiver, which stops the builder at its next round.
            for batches in rounds {
                for batch in batches {
                    writer.write(&batch?).map_err(to_io)?;
                }
            }
            Ok(())
        })
    })?;
    writer.close().map_err(to_io)?;
    Ok(())
}
