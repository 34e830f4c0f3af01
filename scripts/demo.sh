#!/usr/bin/env bash
# homeward end to end, on the shipped example and on a fresh scaffold, in a temporary directory.
# Each step is a function; add one and list it in STEPS to extend the demo.
# What it makes (the scaffold, the example before and after migrate, scaffold.svg) is kept in a
# new directory, named at the end; DEMO_DIR=path chooses it (it must not exist yet).
set -euo pipefail

cd "$(dirname "$0")/.."
HOMEWARD=${HOMEWARD:-.venv/bin/homeward}
if [[ -n ${DEMO_DIR:-} ]]; then
  mkdir "$DEMO_DIR"
  WORK=$(cd "$DEMO_DIR" && pwd)
else
  WORK=$(mktemp -d -t homeward-demo.XXXXXX)
fi
trap 'echo; echo "the demo output (scaffold, legacy, migrated, scaffold.svg) is in $WORK"' EXIT

step() {
  echo
  echo "==> $*"
}

hw() {
  echo "\$ homeward $*"
  "$HOMEWARD" "$@"
}

demo_init() {
  step "init: a new configuration for ham on desk"
  hw init "$WORK/scaffold" --user ham --host desk
}

demo_graph_example() {
  step "graph: the example, a flake that keeps ham's things in NixOS modules"
  cp -r examples/legacy "$WORK/legacy"
  hw graph "$WORK/legacy"
}

demo_graph_scaffold() {
  step "graph: the scaffold, System vs User configuration"
  hw graph "$WORK/scaffold"
  hw graph "$WORK/scaffold" --format dot -o "$WORK/scaffold.dot"
  if command -v dot >/dev/null; then
    hw graph "$WORK/scaffold" -o "$WORK/scaffold.svg"
  else
    echo "(Graphviz is not installed: skipping the SVG)"
  fi
}

demo_migrate() {
  step "migrate: the example, in a git repository of its own (homeward refuses uncommitted changes)"
  cp -r examples/legacy "$WORK/migrated"
  git -C "$WORK/migrated" init -q -b main
  git -C "$WORK/migrated" add -A
  git -C "$WORK/migrated" -c user.name=demo -c user.email=demo@homeward.invalid commit -q -m "before homeward"
  step "check: the example mixes user and system configuration"
  hw check "$WORK/migrated" || true
  step "migrate: the plan and the diff"
  hw migrate "$WORK/migrated" --dry-run
  step "migrate: apply"
  hw migrate "$WORK/migrated"
  step "migrate: a second run changes nothing"
  hw migrate "$WORK/migrated" --allow-dirty
  step "check: the migrated example is clean"
  hw check "$WORK/migrated"
  step "graph: the migrated example"
  hw graph "$WORK/migrated"
  if command -v nix >/dev/null; then
    step "verify: the migrated tree against the commit before, with the real nix"
    echo "(offline: nixpkgs and home-manager are the stand-ins in tests/standins)"
    hw verify "$WORK/migrated" \
      --override-input nixpkgs "path:$PWD/tests/standins/nixpkgs" \
      --override-input home-manager "path:$PWD/tests/standins/home-manager"
  else
    echo "(nix is not installed: skipping verify)"
  fi
}

STEPS=(demo_init demo_graph_example demo_graph_scaffold demo_migrate)

for s in "${STEPS[@]}"; do
  "$s"
done
