// Renders Vega-Lite specs to SVG files for sanity's report (src/report/render.cpp runs it):
//   node render_vega.mjs JOBS.json      JOBS.json: [{"name": "...", "spec": {Vega-Lite}, "svg": "out.svg"}]
// Vega draws SVG without a canvas (View.toSVG with the "none" renderer), so the native `canvas`
// module that vega-cli needs is not required; text widths are then estimated, which is why the
// charts use a common sans-serif font. Exits non-zero naming each spec that failed.
import { readFileSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let failed = 0;
for (const job of jobs) {
  try {
    const view = new vega.View(vega.parse(compile(job.spec).spec), { renderer: 'none', logLevel: vega.Error });
    const svg = await view.toSVG();
    view.finalize();
    writeFileSync(job.svg, svg);
  } catch (e) {
    failed++;
    console.error(`${job.name}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
