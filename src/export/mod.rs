//! Export: retainer paths to JSON (a versioned schema), Markdown and Graphviz DOT; Summary and
//! Comparison tables to CSV and JSON. Files are written atomically ([`atomic`]).

pub mod atomic;
pub mod paths;
pub mod tables;

pub use atomic::write_atomically;
