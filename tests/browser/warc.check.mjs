// Reads WARC files with an independent reader (webrecorder's warcio.js) and
// checks every record's digests. Used by tests/test_evidence.c.
//
// usage: node warc.check.mjs FILE.warc.gz...
// prints one JSON object: {"records": [{file, offset, length, type, id,
//   target, concurrent_to, block_ok, payload_ok}], "errors": [...]}
// and exits 1 when a digest does not match or a file cannot be read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { WARCParser } from 'warcio';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes) {
  let out = '', buffer = 0, bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function sameDigest(header, bytes) {
  if (!header) return null; // absent
  const [algo, value] = [header.slice(0, header.indexOf(':')).toLowerCase(), header.slice(header.indexOf(':') + 1)];
  if (algo !== 'sha256') return false;
  const digest = createHash('sha256').update(bytes).digest();
  const v = value.replace(/=+$/, '');
  return v.toUpperCase() === base32(digest) || v.toLowerCase() === digest.toString('hex');
}

async function records(file, parseHttp) {
  const parser = new WARCParser(createReadStream(file), { parseHttp });
  const out = [];
  for await (const record of parser) {
    const content = await record.readFully(false);
    out.push({
      offset: parser.offset,
      length: parser.recordLength,
      type: record.warcType,
      id: record.warcHeader('WARC-Record-ID'),
      target: record.warcTargetURI || null,
      concurrent_to: record.warcHeader('WARC-Concurrent-To') || null,
      block_digest: record.warcHeader('WARC-Block-Digest'),
      payload_digest: record.warcHeader('WARC-Payload-Digest'),
      content: Buffer.from(content),
      status: record.httpHeaders ? record.httpHeaders.statusCode : null,
    });
  }
  return out;
}

const result = { records: [], errors: [] };
for (const file of process.argv.slice(2)) {
  try {
    const blocks = await records(file, false);   // content = the whole block
    const payloads = await records(file, true);  // content = the HTTP payload
    if (blocks.length !== payloads.length) result.errors.push(`${file}: ${blocks.length} vs ${payloads.length} records`);
    blocks.forEach((b, i) => {
      const p = payloads[i] || {};
      const r = {
        file: basename(file), offset: b.offset, length: b.length, type: b.type, id: b.id, target: b.target,
        concurrent_to: b.concurrent_to, status: p.status ?? null,
        block_ok: sameDigest(b.block_digest, b.content),
        payload_ok: b.payload_digest ? sameDigest(b.payload_digest, p.content || Buffer.alloc(0)) : null,
      };
      if (r.block_ok !== true) result.errors.push(`${r.file}@${r.offset}: block digest ${b.block_digest} does not match`);
      if (r.payload_ok === false) result.errors.push(`${r.file}@${r.offset}: payload digest ${b.payload_digest} does not match`);
      result.records.push(r);
    });
  } catch (e) {
    result.errors.push(`${file}: ${e.message}`);
  }
}
console.log(JSON.stringify(result));
process.exitCode = result.errors.length ? 1 : 0;
