#!/usr/bin/env bash
# pnpm through corepack, with nothing preinstalled but Node.js 20 and npm.
# COREPACK_INTEGRITY_KEYS=0: some npm mirrors serve pnpm without the signature metadata
# corepack checks; the tarball's integrity hash is still verified by corepack.
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
export COREPACK_INTEGRITY_KEYS=0
exec corepack pnpm "$@"
