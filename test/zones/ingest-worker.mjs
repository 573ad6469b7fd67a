// A separate OS process ingesting files into raw/<dataset>; the kill test SIGKILLs it mid-copy.
import { LocalFileIO } from '../../dist/src/io/local.js';
import { ingest } from '../../dist/src/zones/raw.js';

const [root, dataset, ...files] = process.argv.slice(2);
const out = await ingest({ root, io: new LocalFileIO() }, files, { dataset });
process.stdout.write(JSON.stringify(out.map((o) => o.status)));
