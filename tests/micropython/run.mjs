// Run many Python sources under real MicroPython (the WebAssembly port from npm), in ONE Node process.
//
// stdin:  {"modules": {"name": "<python source>", ...},   written to /stubs and importable by name
//          "jobs": [{"module": "name", "source": "...", "variant": 0}, ...]}
// stdout: {"implementation": [...], "results": [{"stdout": "...", "error": "<traceback>" | null}, ...]}
//
// Each job runs through driver.py (beside this file) in a fresh globals dict with the named module as
// `jumperless` (and its names as globals, as the firmware's `from jumperless import *`). Starting the
// interpreter costs far more than a job, so it is started once for every job.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const here = dirname(fileURLToPath(import.meta.url));
const request = JSON.parse(readFileSync(0, "utf8"));

let captured = [];
const mp = await loadMicroPython({
  heapsize: 2 * 1024 * 1024, // enough for a 900-call batch; a big heap makes every GC slow (64 MB: 10x the time)
  linebuffer: false,
  stdout: (bytes) => captured.push(...bytes),
  stderr: (bytes) => captured.push(...bytes),
});
const decoder = new TextDecoder();
const takeOutput = () => {
  const text = decoder.decode(new Uint8Array(captured));
  captured = [];
  return text;
};

mp.FS.mkdir("/stubs");
for (const [name, source] of Object.entries(request.modules)) {
  mp.FS.writeFile(`/stubs/${name}.py`, source);
}
mp.runPython("import sys\nsys.path.insert(0, '/stubs')");
mp.runPython(readFileSync(join(here, "driver.py"), "utf8"));
const run = mp.globals.get("run");
const implementation = mp.globals.get("implementation")();
takeOutput();

const results = [];
for (const job of request.jobs) {
  let error;
  try {
    error = run(job.source, job.module, job.variant ?? 0);
  } catch (exc) {
    error = `driver failed: ${exc}`;
  }
  results.push({ stdout: takeOutput(), error: error ?? null });
}
process.stdout.write(JSON.stringify({ implementation, results }));
