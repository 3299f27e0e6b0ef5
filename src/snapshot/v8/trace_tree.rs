//! The nested `trace_tree` array, flattened in pre-order.

use crate::error::{ErrorKind, KindResult};
use crate::graph::TraceTreeNode;
use crate::snapshot::input::{Input, describe_byte, is_ws};

enum Token {
    Open,
    Close,
    Number(u64),
}

/// Parses `[id, function_info_index, count, size, [children...], ...]` recursively (with an
/// explicit stack, so depth is bounded only by memory).
pub fn parse_trace_tree(input: &mut Input) -> KindResult<Vec<TraceTreeNode>> {
    input.expect(b'[', "'[' to start trace_tree")?;
    let mut nodes = Vec::new();
    // Per open array: its parent node, the numbers of the group being read, and whether the
    // node just completed still expects its children array.
    let mut stack: Vec<(u32, Vec<u64>, Option<u32>)> = vec![(u32::MAX, Vec::new(), None)];
    while let Some(top) = stack.last_mut() {
        match next_token(input)? {
            Token::Number(v) => {
                if top.2.is_some() {
                    return Err(syntax(input, "a children array after four numbers"));
                }
                top.1.push(v);
                if top.1.len() == 4 {
                    let id = u32::try_from(top.1[0]).unwrap_or(u32::MAX);
                    let function_info_index = u32::try_from(top.1[1]).unwrap_or(u32::MAX);
                    let count = u32::try_from(top.1[2]).unwrap_or(u32::MAX);
                    let index = u32::try_from(nodes.len())
                        .map_err(|_| ErrorKind::TooLarge("more than 2^32 trace tree nodes".into()))?;
                    nodes.push(TraceTreeNode { id, function_info_index, count, size: top.1[3], parent: top.0 });
                    top.1.clear();
                    top.2 = Some(index);
                }
            }
            Token::Open => {
                let Some(parent) = top.2.take() else {
                    return Err(syntax(input, "a number"));
                };
                stack.push((parent, Vec::new(), None));
            }
            Token::Close => {
                if !top.1.is_empty() || top.2.is_some() {
                    return Err(syntax(input, "a complete trace node"));
                }
                stack.pop();
            }
        }
    }
    Ok(nodes)
}

fn syntax(input: &Input, expected: &'static str) -> ErrorKind {
    ErrorKind::Syntax { offset: input.offset(), expected, found: "something else in trace_tree".into() }
}

/// The next bracket or number; commas and whitespace are skipped.
fn next_token(input: &mut Input) -> KindResult<Token> {
    loop {
        input.ensure(24)?;
        let avail = input.available();
        let Some(&b) = avail.first() else {
            return Err(ErrorKind::Truncated { offset: input.offset(), inside: "trace_tree".into() });
        };
        match b {
            b'[' => {
                input.consume(1);
                return Ok(Token::Open);
            }
            b']' => {
                input.consume(1);
                return Ok(Token::Close);
            }
            b',' => input.consume(1),
            _ if is_ws(b) => input.consume(1),
            b'0'..=b'9' => {
                let digits = avail.iter().take_while(|c| c.is_ascii_digit()).count();
                let text = std::str::from_utf8(&avail[..digits]).unwrap_or("");
                let value = text.parse::<u64>().map_err(|_| ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "a number that fits in 64 bits",
                    found: text.to_string(),
                })?;
                input.consume(digits);
                return Ok(Token::Number(value));
            }
            other => {
                return Err(ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "a number or bracket in trace_tree",
                    found: describe_byte(other),
                });
            }
        }
    }
}
