#!/bin/sh
# Rebuilds codemirror.min.js, the one file the site serves for its code editor, from the pinned
# packages in package-lock.json (npm ci: exactly those versions) and editor.mjs. `make editor`
# runs it; the built file is committed, so serving the site needs no npm.
# CodeMirror 6 and its language packages are MIT-licensed (https://codemirror.net).
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
node_modules/.bin/esbuild editor.mjs --bundle --minify --format=iife \
  --target=es2019 --legal-comments=eof --outfile=codemirror.min.js
rm -rf node_modules
ls -l codemirror.min.js
