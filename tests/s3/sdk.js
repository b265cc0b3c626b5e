#!/usr/bin/env node
// sdk.js - the official AWS SDK for JavaScript (v3) as the other side of
// rayhist's interoperability tests. Endpoint, region and credentials come
// from the environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY), as for any SDK program; addressing is path-style.
//
//   sdk.js put BUCKET KEY FILE              PutObject
//   sdk.js mpu BUCKET KEY FILE PART_BYTES   Create/UploadPart.../Complete
//   sdk.js get BUCKET KEY OUT [FIRST LAST]  GetObject (Range bytes=FIRST-LAST)
//   sdk.js head BUCKET KEY                  prints ContentLength
//   sdk.js list BUCKET PREFIX [DELIM]       every key and common prefix,
//                                           paginated, one per line
//   sdk.js putdir BUCKET PREFIX DIR         every file under DIR as
//                                           PREFIX/<its path>, 64 at a time
//   sdk.js getdir BUCKET PREFIX DIR         every object under PREFIX into
//                                           DIR/<key without PREFIX>
'use strict';

const fs = require('fs');
const {
  S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
} = require('@aws-sdk/client-s3');

const client = new S3Client({
  endpoint: process.env.AWS_ENDPOINT_URL,
  region: process.env.AWS_REGION || 'us-east-1',
  forcePathStyle: true,
  // plain SigV4 with a hashed payload: no aws-chunked trailers
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  maxAttempts: 1,
});

async function main() {
  const [cmd, bucket, key, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'put':
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(rest[0]) }));
      break;
    case 'mpu': {
      const data = fs.readFileSync(rest[0]);
      const size = Number(rest[1]);
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const parts = [];
      for (let off = 0, n = 1; off < data.length; off += size, n++) {
        const r = await client.send(new UploadPartCommand({
          Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: data.subarray(off, off + size),
        }));
        parts.push({ PartNumber: n, ETag: r.ETag });
      }
      await client.send(new CompleteMultipartUploadCommand({
        Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts },
      }));
      console.log(parts.length);
      break;
    }
    case 'get': {
      const range = rest.length >= 3 ? `bytes=${rest[1]}-${rest[2]}` : undefined;
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      fs.writeFileSync(rest[0], Buffer.from(await r.Body.transformToByteArray()));
      break;
    }
    case 'head': {
      const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      console.log(r.ContentLength);
      break;
    }
    case 'list': {
      let token;
      do {
        const r = await client.send(new ListObjectsV2Command({
          Bucket: bucket, Prefix: key, Delimiter: rest[0], ContinuationToken: token,
        }));
        const entries = [...(r.Contents || []).map(c => c.Key), ...(r.CommonPrefixes || []).map(c => c.Prefix)];
        for (const e of entries.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) console.log(e);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      break;
    }
    case 'putdir': {
      const dir = rest[0];
      const files = [];
      const walk = (d, rel) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(`${d}/${e.name}`, `${rel}${e.name}/`);
          else if (e.isFile()) files.push(`${rel}${e.name}`);
        }
      };
      walk(dir, '');
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          const f = files[next++];
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}${f}`, Body: fs.readFileSync(`${dir}/${f}`) }));
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      console.log(files.length);
      break;
    }
    case 'getdir': {
      const dir = rest[0];
      const keys = [];
      let token;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
        for (const c of r.Contents || []) keys.push(c.Key);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          const k = keys[next++];
          const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
          const out = `${dir}/${k.slice(key.length)}`;
          fs.mkdirSync(out.slice(0, out.lastIndexOf('/')), { recursive: true });
          fs.writeFileSync(out, Buffer.from(await r.Body.transformToByteArray()));
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      console.log(keys.length);
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

main().catch(e => {
  console.error(`sdk.js: ${e.name}: ${e.message}`);
  process.exit(1);
});
