#!/usr/bin/env node
// start.js runs a real Bluesky PDS and the PLC directory it registers DIDs
// with, both on 127.0.0.1, for Herald's integration tests (internal/testpeer
// starts it; test/peers/bluesky/install.sh installs its node_modules).
//
//   node start.js [--pds-port=N] [--plc-port=N] [--data-dir=DIR]
//
// Ports may also come from HERALD_PDS_PORT and HERALD_PLC_PORT; 0 or none
// picks a free port. The PDS must know its own port before it starts (it is
// part of its public URL, written into every DID document), so a free port
// is found by binding port 0 and closing it just before the PDS listens.
//
// When both servers listen, one JSON line goes to stdout:
//   {"pds":"http://127.0.0.1:P","plc":"http://127.0.0.1:Q",
//    "publicUrl":"http://localhost:P","adminPassword":"..."}
// publicUrl is what the PDS calls itself (in DID documents); in dev mode the
// PDS insists on the host name "localhost". Nothing else is written to stdout:
// PDS logs (LOG_ENABLED=true, LOG_LEVEL) go to stderr.
//
// The process stops cleanly on SIGTERM or SIGINT, and also when its standard
// input closes, so that a test binary killed without cleanup does not leave
// servers behind (the Go helper holds the other end of a pipe).
//
// Modules are resolved through NODE_PATH (CommonJS require), because
// node_modules lives in a cache directory, not beside this file.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const HOST = '127.0.0.1'

function parseArgs(argv) {
  const opts = {
    pdsPort: Number(process.env.HERALD_PDS_PORT || 0),
    plcPort: Number(process.env.HERALD_PLC_PORT || 0),
    dataDir: '',
  }
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg)
    if (!m) throw new Error(`unknown argument ${arg}`)
    switch (m[1]) {
      case 'pds-port':
        opts.pdsPort = Number(m[2])
        break
      case 'plc-port':
        opts.plcPort = Number(m[2])
        break
      case 'data-dir':
        opts.dataDir = m[2]
        break
      default:
        throw new Error(`unknown argument ${arg}`)
    }
  }
  for (const k of ['pdsPort', 'plcPort']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 0 || opts[k] > 65535) {
      throw new Error(`bad port for ${k}`)
    }
  }
  return opts
}

// freePort asks the kernel for an unused port on HOST and releases it.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function listen(app, port) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, HOST)
    server.once('error', reject)
    server.once('listening', () => resolve(server))
  })
}

function closeServer(server) {
  return new Promise((resolve) => {
    if (!server) return resolve()
    server.close(() => resolve())
    // Keep-alive connections would hold close() open.
    if (server.closeAllConnections) server.closeAllConnections()
  })
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))

  // The PDS logs (when LOG_ENABLED=true) through pino, to stdout unless
  // told otherwise; stdout carries the ready line, so logs go to stderr.
  // @atproto/common reads this when it is first required, just below.
  if (!process.env.LOG_DESTINATION) process.env.LOG_DESTINATION = '/dev/stderr'

  // Require after parsing: loading the PDS takes a few seconds.
  const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')
  const { PlcServer, Database } = require('@did-plc/server')
  const { Secp256k1Keypair } = require('@atproto/crypto')

  let ownDataDir = false
  let dataDir = opts.dataDir
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-pds-'))
    ownDataDir = true
  }
  fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true })

  // PLC directory with its in-memory database.
  const plc = PlcServer.create({ db: Database.mock(), port: opts.plcPort })
  const plcServer = await listen(plc.app, opts.plcPort)
  const plcUrl = `http://${HOST}:${plcServer.address().port}`

  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  const adminPassword = crypto.randomBytes(16).toString('hex')
  const pdsPort = opts.pdsPort || (await freePort())
  Object.assign(process.env, {
    PDS_HOSTNAME: 'localhost',
    PDS_PORT: String(pdsPort),
    PDS_DEV_MODE: 'true',
    PDS_DATA_DIRECTORY: dataDir,
    PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
    PDS_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    PDS_ADMIN_PASSWORD: adminPassword,
    PDS_DPOP_SECRET: crypto.randomBytes(32).toString('hex'),
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: Buffer.from(
      await rotationKey.export(),
    ).toString('hex'),
    PDS_DID_PLC_URL: plcUrl,
    PDS_INVITE_REQUIRED: 'false',
    PDS_CRAWLERS: '',
    PDS_BSKY_APP_VIEW_URL: '',
    PDS_SERVICE_HANDLE_DOMAINS: '.test',
    PDS_DISABLE_SSRF_PROTECTION: 'true',
  })
  const env = readEnv()
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  // pds.start() would listen on every interface; listen on loopback only.
  await pds.ctx.sequencer.start()
  const pdsServer = await listen(pds.app, pdsPort)

  let stopping = false
  const stop = async (why) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`start.js: stopping (${why})\n`)
    try {
      await closeServer(pdsServer)
      await pds.destroy().catch(() => {})
      await closeServer(plcServer)
      await plc.ctx.db.close().catch(() => {})
      if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.stdin.on('end', () => stop('stdin closed'))
  process.stdin.on('error', () => stop('stdin error'))
  process.stdin.resume()

  process.stdout.write(
    JSON.stringify({
      pds: `http://${HOST}:${pdsPort}`,
      plc: plcUrl,
      publicUrl: pds.ctx.cfg.service.publicUrl,
      adminPassword,
    }) + '\n',
  )
}

main().catch((err) => {
  process.stderr.write(`start.js: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
