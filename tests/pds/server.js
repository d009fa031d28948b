// A real AT Protocol PDS for postwright's Bluesky tests: @atproto/pds with an in-memory PLC directory
// (@did-plc/server) in one node process, both on 127.0.0.1, sqlite and blobs under PDS_TEST_DATA.
// Invites, email, crawlers and the AppView are off; dev mode on. Install with `npm ci --prefix tests/pds`
// (.ci/setup.d/10-pds.sh does it); tests/pds_server.py starts it and reads the JSON line it prints.
//
// Environment: PDS_TEST_DATA (a fresh directory), PDS_TEST_JWT_SECRET, PDS_TEST_ADMIN_PASSWORD.
// Prints one line {"url": "http://127.0.0.1:<port>", "plc": "...", "serviceDid": "..."} when ready,
// and exits on SIGTERM, SIGINT or when its stdin closes (the test process died).
'use strict'

const crypto = require('node:crypto')
const net = require('node:net')
const path = require('node:path')
const { PDS, envToCfg, envToSecrets } = require('@atproto/pds')
const plc = require('@did-plc/server')

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

function listen(app, port) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1')
    server.once('listening', () => resolve(server))
    server.once('error', reject)
  })
}

function secp256k1Hex() {
  // the PLC rotation key: a raw 32-byte secp256k1 private key in hex
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  return Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url').toString('hex')
}

async function main() {
  const data = process.env.PDS_TEST_DATA
  if (!data) throw new Error('PDS_TEST_DATA (a fresh directory) is required')

  const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
  const plcHttp = await listen(plcServer.app, 0)
  const plcUrl = `http://127.0.0.1:${plcHttp.address().port}`

  const port = await freePort()
  const env = {
    port,
    hostname: 'localhost', // handles end in .test; the public URL is http://localhost:<port>
    dataDirectory: data,
    blobstoreDiskLocation: path.join(data, 'blobs'),
    didPlcUrl: plcUrl,
    devMode: true,
    inviteRequired: false,
    crawlers: [],
    jwtSecret: process.env.PDS_TEST_JWT_SECRET || crypto.randomBytes(16).toString('hex'),
    adminPassword: process.env.PDS_TEST_ADMIN_PASSWORD || crypto.randomBytes(16).toString('hex'),
    plcRotationKeyK256PrivateKeyHex: secp256k1Hex(),
  }
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  // PDS.start() listens on every interface; listen on loopback only, as start() does otherwise
  await pds.ctx.sequencer.start()
  const pdsHttp = await listen(pds.app, port)
  pdsHttp.keepAliveTimeout = 90000

  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    pdsHttp.closeAllConnections()
    plcHttp.closeAllConnections()
    pds.ctx.sequencer.destroy().finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()

  const ready = { url: `http://127.0.0.1:${port}`, plc: plcUrl, serviceDid: pds.ctx.cfg.service.did }
  process.stdout.write(JSON.stringify(ready) + '\n')
}

main().catch((error) => {
  process.stderr.write(`pds: ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
