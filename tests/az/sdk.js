#!/usr/bin/env node
// sdk.js - Microsoft's Azure Storage Blob SDK for JavaScript as the other
// side of rayhist's az:// tests. The account comes from the environment
// (AZ_BLOB_ENDPOINT "http://127.0.0.1:PORT/ACCOUNT", AZ_ACCOUNT, AZ_KEY).
//
//   sdk.js mkcontainer CONTAINER            create it (if missing)
//   sdk.js put CONTAINER BLOB FILE          Put Blob (one request)
//   sdk.js blocks CONTAINER BLOB FILE BYTES Put Block of BYTES each, then
//                                           Put Block List; prints the count
//   sdk.js get CONTAINER BLOB OUT           Get Blob
//   sdk.js size CONTAINER BLOB              Get Blob Properties' length
//   sdk.js blocklist CONTAINER BLOB         committed blocks, as a count
//   sdk.js list CONTAINER PREFIX            every blob name, paginated
//   sdk.js sas CONTAINER PERMS              a container SAS (e.g. "racwdl"),
//                                           valid for an hour, as a query
//   sdk.js putdir CONTAINER PREFIX DIR      every file under DIR as
//                                           PREFIX/<its path>, 64 at a time
//   sdk.js getdir CONTAINER PREFIX DIR      every blob under PREFIX as
//                                           DIR/<its name less PREFIX>
'use strict';

const fs = require('fs');
const {
  BlobServiceClient, StorageSharedKeyCredential, generateBlobSASQueryParameters,
  ContainerSASPermissions,
} = require('@azure/storage-blob');

const account = process.env.AZ_ACCOUNT;
const cred = new StorageSharedKeyCredential(account, process.env.AZ_KEY);
const service = new BlobServiceClient(process.env.AZ_BLOB_ENDPOINT, cred,
  { retryOptions: { maxTries: 1 } });

async function main() {
  const [cmd, container, blob, ...rest] = process.argv.slice(2);
  const cc = service.getContainerClient(container);
  switch (cmd) {
    case 'mkcontainer':
      await cc.createIfNotExists();
      break;
    case 'put': {
      const data = fs.readFileSync(rest[0]);
      await cc.getBlockBlobClient(blob).upload(data, data.length);
      break;
    }
    case 'blocks': {
      const data = fs.readFileSync(rest[0]);
      const size = Number(rest[1]);
      const bb = cc.getBlockBlobClient(blob);
      const ids = [];
      for (let off = 0, n = 0; off < data.length; off += size, n++) {
        const id = Buffer.from(`sdk-block-${String(n).padStart(6, '0')}`).toString('base64');
        const part = data.subarray(off, off + size);
        await bb.stageBlock(id, part, part.length);
        ids.push(id);
      }
      await bb.commitBlockList(ids);
      console.log(ids.length);
      break;
    }
    case 'get':
      fs.writeFileSync(rest[0], await cc.getBlobClient(blob).downloadToBuffer());
      break;
    case 'size':
      console.log((await cc.getBlobClient(blob).getProperties()).contentLength);
      break;
    case 'blocklist': {
      const r = await cc.getBlockBlobClient(blob).getBlockList('committed');
      console.log((r.committedBlocks || []).length);
      break;
    }
    case 'list': {
      const names = [];
      for await (const page of cc.listBlobsFlat({ prefix: blob }).byPage({ maxPageSize: 100 })) {
        for (const b of page.segment.blobItems) names.push(b.name);
      }
      names.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
      for (const n of names) console.log(n);
      break;
    }
    case 'getdir': {
      // A copying tool, not an interop check: the SDK's own retries, and
      // 8 downloads at a time (a page of 1,000 at once made Azurite reset
      // connections on a loaded machine).
      const path = require('path');
      const copier = new BlobServiceClient(process.env.AZ_BLOB_ENDPOINT, cred,
        { retryOptions: { maxTries: 4, retryDelayInMs: 200 } }).getContainerClient(container);
      const names = [];
      for await (const page of copier.listBlobsFlat({ prefix: blob }).byPage({ maxPageSize: 1000 })) {
        for (const b of page.segment.blobItems) names.push(b.name);
      }
      let next = 0;
      const worker = async () => {
        while (next < names.length) {
          const name = names[next++];
          const out = path.join(rest[0], name.slice(blob.length));
          fs.mkdirSync(path.dirname(out), { recursive: true });
          fs.writeFileSync(out, await copier.getBlobClient(name).downloadToBuffer());
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      break;
    }
    case 'sas': {
      const q = generateBlobSASQueryParameters({
        containerName: container,
        permissions: ContainerSASPermissions.parse(blob),
        startsOn: new Date(Date.now() - 5 * 60 * 1000),
        expiresOn: new Date(Date.now() + 60 * 60 * 1000),
      }, cred);
      console.log(q.toString());
      break;
    }
    case 'putdir': {
      const path = require('path');
      const files = [];
      const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p); else files.push(p);
        }
      };
      walk(rest[0]);
      for (let i = 0; i < files.length; i += 64) {
        await Promise.all(files.slice(i, i + 64).map((f) => {
          const data = fs.readFileSync(f);
          const name = blob + path.relative(rest[0], f).split(path.sep).join('/');
          return cc.getBlockBlobClient(name).upload(data, data.length);
        }));
      }
      console.log(files.length);
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

main().catch((e) => {
  console.error(`sdk.js: ${e.message}`);
  process.exit(1);
});
