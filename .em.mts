import { runEspruinoMesh, linuxBundle } from './host/sim/espruino-mesh.ts';
const bundle = await linuxBundle(process.cwd());
const r = await runEspruinoMesh({ bin: '/opt/espruino/espruino', bundle, nodes: 3, topology: 'line', progress: console.log, timeoutMs: 90000 });
console.log(JSON.stringify(r, null, 1));
process.exit(0);
