#!/usr/bin/env node
// Builds the addon with plain cargo (no @napi-rs/cli: nothing to download
// beyond crates.io), copies the cdylib to `checkout-tax.node`, and writes
// `quote-builder.js` from the built addon's output shapes
// (scripts/gen-builder.js), so that the two always match.
//
// `cargo build --release -p checkout-tax-node` shares the workspace's
// `target/release` with the CLI's release build, so the core and its
// dependencies compile once for both. Set CHECKOUT_TAX_NODE_PROFILE=debug
// for a quicker, slower addon.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const cargo = process.env.CARGO || 'cargo';
const profile = process.env.CHECKOUT_TAX_NODE_PROFILE === 'debug' ? 'debug' : 'release';

function run(args, options = {}) {
  return execFileSync(cargo, args, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

try {
  run(['--version']);
} catch {
  console.error('checkout-tax: building the Node addon needs cargo (https://rustup.rs)');
  process.exit(1);
}

const args = ['build', '--locked', '-p', 'checkout-tax-node'];
if (profile === 'release') args.push('--release');
execFileSync(cargo, args, { cwd: here, stdio: 'inherit' });

const metadata = JSON.parse(run(['metadata', '--format-version', '1', '--no-deps']).toString());
const libName = {
  darwin: 'libcheckout_tax_node.dylib',
  win32: 'checkout_tax_node.dll',
}[process.platform] || 'libcheckout_tax_node.so';
const built = path.join(metadata.target_directory, profile, libName);
const dest = path.join(here, 'checkout-tax.node');
// Copy to a temporary name and rename, so a running process that has the
// old addon mapped keeps a consistent file.
fs.copyFileSync(built, `${dest}.tmp`);
fs.renameSync(`${dest}.tmp`, dest);
console.error(`checkout-tax: built ${path.relative(here, dest)} (${profile}) from ${built}`);

const { generate, OUT } = require('./gen-builder.js');
fs.writeFileSync(OUT, generate(require(dest).outputShapes()));
console.error(`checkout-tax: wrote ${path.relative(here, OUT)} for its output shapes`);
