#!/usr/bin/env bash
# The scripts/try steps on the held-back person (tests/fixtures/everyday/mia), into HOME:
# import, notes, journal, dataset, train; then `twin eval --quick` and bench/replies.py with
# her own openers, none of which anything in twin was tuned on (minutes of CPU; run alone):
#
#   bench/heldback.sh /tmp/mia [train|measure|all]
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
home=${1:?usage: bench/heldback.sh HOME [train|measure|all]}
what=${2:-all}
export TWIN_HOME="$home" TWIN_PASSPHRASE="held-back data only"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
person=tests/fixtures/everyday/mia
if [ "$what" != measure ]; then
    rm -rf "$TWIN_HOME"
    twin init
    twin import "$person"/whatsapp/*.txt --me "Mia Tanaka"
    twin notes import "$person/notes"
    twin journal import "$person/journal.jsonl"
    twin dataset build --name heldback
    twin train --dataset heldback
fi
if [ "$what" != train ]; then
    twin eval --quick
    python bench/replies.py --home "$TWIN_HOME" --passphrase "$TWIN_PASSPHRASE" \
        --openers "$person/openers.txt" --no-facts
fi
