//! Hostile and broken inputs: every file of `tests/data/hostile/` (made by its `make.py`) and of
//! `tests/data/fuzz-regressions/` gives one clear error naming the file and the problem, never a
//! panic; bit flips anywhere in a small snapshot or dump never panic either.

use std::path::{Path, PathBuf};

use heapscope::NoProgress;
use heapscope::analysis::analyze;
use heapscope::snapshot::{Format, LoadOptions, detect, load_v8_bytes, load_v8_file, tracemalloc};

use crate::common::{repo_root, sample};

/// Loads a file of either format the way the CLI does (a V8 snapshot is analysed too).
fn load_any(path: &Path) -> Result<(), String> {
    match detect(path).map_err(|e| e.to_string())?.format {
        Format::V8 => {
            let load = load_v8_file(path, LoadOptions::default(), &NoProgress).map_err(|e| e.to_string())?;
            analyze(&load.graph, &NoProgress).map(|_| ()).map_err(|kind| kind.to_string())
        }
        Format::Pickle => tracemalloc::load_file(path, &NoProgress).map(|_| ()).map_err(|e| e.to_string()),
    }
}

fn hostile_dir() -> PathBuf {
    repo_root().join("tests/data/hostile")
}

#[test]
fn every_hostile_file_gives_its_clear_error() {
    let manifest = std::fs::read_to_string(hostile_dir().join("expected.txt")).expect("the manifest");
    let mut checked = 0;
    for line in manifest.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (name, expected) = line.split_once('\t').expect("name<TAB>message");
        let path = hostile_dir().join(name);
        match (load_any(&path), expected) {
            (Ok(()), "ok") => {}
            (Ok(()), _) => panic!("{name} loaded, but it should fail with {expected:?}"),
            (Err(message), "ok") => panic!("{name} should load: {message}"),
            (Err(message), _) => {
                assert!(
                    message.starts_with(&path.display().to_string()),
                    "{name}: the message names the file: {message}"
                );
                assert!(message.contains(expected), "{name}: {message:?} does not say {expected:?}");
            }
        }
        checked += 1;
    }
    // Every file in the directory is in the manifest.
    let files = std::fs::read_dir(hostile_dir())
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name != "make.py" && name != "expected.txt"
        })
        .count();
    assert_eq!(checked, files, "every hostile file is listed in expected.txt");
    assert!(!std::path::Path::new("/tmp/heapscope-must-not-run-this").exists());
}

#[test]
fn fuzz_regressions_give_errors_not_panics() {
    let dir = repo_root().join("tests/data/fuzz-regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        // Through both loaders (the V8 one also in tiny chunks, as the fuzz target reads): neither
        // may panic, and errors name the input.
        for chunk_size in [37, LoadOptions::default().chunk_size] {
            let options = LoadOptions { chunk_size, memory_map: false, ..Default::default() };
            if let Err(e) = load_v8_bytes(bytes.clone(), "regression", options, &NoProgress) {
                assert!(e.to_string().starts_with("regression: "), "{}: {e}", path.display());
            }
        }
        if let Err(e) = tracemalloc::load_bytes(&bytes, "regression", &NoProgress) {
            assert!(e.to_string().starts_with("regression: "), "{}: {e}", path.display());
        }
    }
}

/// A 4 MB stretch without a comma inside the nodes array, read in 37-byte chunks, gives its error.
/// Each byte must be scanned a bounded number of times: when the whole window was scanned again
/// after every chunk (a bug the fuzzer found), this test took 30 s instead of milliseconds.
#[test]
fn long_tokens_are_scanned_a_bounded_number_of_times() {
    let head = &SMALL_SNAPSHOT[..SMALL_SNAPSHOT.find("\"nodes\":[").expect("nodes") + 9];
    let mut bytes = head.as_bytes().to_vec();
    bytes.extend_from_slice(b"9,0,1,0,1,");
    bytes.extend(std::iter::repeat_n(b'3', 4_000_000));
    bytes.extend_from_slice(b",0,0,0,0],\"edges\":[],\"strings\":[\"\"]}");
    let options = LoadOptions { chunk_size: 37, memory_map: false, ..Default::default() };
    let err = load_v8_bytes(bytes, "long", options, &NoProgress).expect_err("a 4-million-digit number");
    assert!(err.to_string().starts_with("long: bad number in the nodes array at index 5"), "{err}");
}

/// A small valid snapshot: the root holds an object by a property.
const SMALL_SNAPSHOT: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"node_count":2,"edge_count":1},"nodes":[9,0,1,0,1,3,1,3,16,0],"edges":[2,2,5],"strings":["","A","p"]}"#;

/// Flips every bit (one at a time) of a small valid input, loading each copy.
fn flip_every_bit(bytes: &[u8], load: impl Fn(Vec<u8>) -> Result<(), String>) -> (usize, usize) {
    let (mut loaded, mut refused) = (0, 0);
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut copy = bytes.to_vec();
            copy[i] ^= 1 << bit;
            match load(copy) {
                Ok(()) => loaded += 1,
                Err(message) => {
                    assert!(message.starts_with("flipped: ") && message.len() > "flipped: ".len() + 8, "{message}");
                    refused += 1;
                }
            }
        }
    }
    (loaded, refused)
}

#[test]
fn bit_flips_never_panic() {
    let snapshot = SMALL_SNAPSHOT.as_bytes();
    assert!(load_v8_bytes(snapshot.to_vec(), "small", LoadOptions::default(), &NoProgress).is_ok());
    let (loaded, refused) = flip_every_bit(snapshot, |bytes| {
        let graph = load_v8_bytes(bytes, "flipped", LoadOptions::default(), &NoProgress).map_err(|e| e.to_string())?;
        analyze(&graph, &NoProgress).map(|_| ()).map_err(|kind| format!("flipped: {kind}"))
    });
    assert!(loaded > 0 && refused > 0, "{loaded} loaded, {refused} refused");

    let dump = {
        let raw = std::fs::read(sample("request-history.before.tracemalloc.gz")).expect("read");
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut plain).expect("gunzip");
        plain.truncate(600);
        plain
    };
    // Each flipped copy of a dump's first 600 bytes must be refused cleanly (it is cut short).
    let (_, refused) = flip_every_bit(&dump, |bytes| {
        tracemalloc::load_bytes(&bytes, "flipped", &NoProgress).map(|_| ()).map_err(|e| e.to_string())
    });
    assert_eq!(refused, dump.len() * 8);
}
