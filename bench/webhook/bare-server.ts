/** The baseline of `bench:webhook` as its own process: the bare listener, nothing else. Prints `listening <port>`. */
import { startBareListener } from '../bare-listener.js';

const listener = await startBareListener(() => {}, Number(process.env.PORT ?? 0));
console.log(`listening ${listener.port}`);
process.on('SIGTERM', () => {
  void listener.close().then(() => process.exit(0));
});
