#!/usr/bin/env bash
# Regenerates the README's screenshots from the current code: builds the app, runs it on the
# committed samples under a virtual X server (Xvfb), drives it with xdotool and captures the
# screen with ImageMagick's `import`.
#
#   apt-get install -y xvfb xdotool imagemagick
#   assets/screenshots/make.sh
#
# The clicks are at fixed positions of the 1280x860 window; if the layout changes, look at the
# pictures and adjust them.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=assets/screenshots
S=sample-snapshots
APP=target/release/heapscope
cargo build --release

Xvfb :97 -screen 0 1280x860x24 >/dev/null 2>&1 &
XVFB=$!
PIDS=()
cleanup() { kill "${PIDS[@]}" "$XVFB" 2>/dev/null || true; }
trap cleanup EXIT
export DISPLAY=:97
sleep 1
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1}"; }
shot() { import -window root "$OUT/$1.png"; echo "wrote $OUT/$1.png"; }
# Without a window manager, the window gets the keyboard only when focused explicitly.
focus() { xdotool windowfocus --sync "$(xdotool search --name heapscope | head -1)"; }

# V8: the request-history leak, before and final.
"$APP" "$S/request-history.before.heapsnapshot.gz" "$S/request-history.final.heapsnapshot.gz" &
PIDS+=($!)
sleep 5
focus
# Select one leaked record by id through the filter box (@id, Enter), expand its class.
click 560 12 0.3
xdotool type --delay 30 "@108537"
xdotool key Return
sleep 2
click 352 254 2
shot summary
# The k shortest paths of the selected record.
click 484 655 2
shot retainers
# Comparison: the two summaries side by side.
click 128 13 2
click 820 44 2
shot comparison
# Statistics with its charts.
click 361 13 2
shot statistics
kill "${PIDS[@]}"
PIDS=()
sleep 1

# tracemalloc: the same leak in a Python service, three dumps.
"$APP" "$S/request-history.before.tracemalloc.gz" "$S/request-history.after.tracemalloc.gz" \
    "$S/request-history.final.tracemalloc.gz" &
PIDS+=($!)
sleep 4
focus
click 456 43 2
shot tracemalloc-compare
click 624 43 1
xdotool mousemove 1000 586
sleep 1
shot flamegraph
click 699 43 2
shot plots
