/**
 * The embedded broker (aedes) used when no --mqtt URL is given: `meshwork bridge` then works out of the box
 * on localhost. It is also where the bridge can SEE who publishes: commands are checked in the publish hook
 * (downlink.ts), so an unauthorised command is refused before any subscriber gets it, and the publisher is
 * disconnected (aedes' behaviour for a refused publish).
 */
import { Aedes } from 'aedes';
import { createServer, type Server } from 'node:net';

export interface EmbeddedBroker { url: string; port: number; close(): Promise<void> }

export interface EmbeddedBrokerInit {
  host?: string;
  /** 0 = any free port */
  port?: number;
  /** called for every client publish; return a reason to refuse it (the client is disconnected), or null */
  onPublish?(topic: string, payload: Buffer, who: { clientId: string; username?: string }): string | null;
}

export async function startEmbeddedBroker(init: EmbeddedBrokerInit = {}): Promise<EmbeddedBroker> {
  const host = init.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const users = new WeakMap<object, string>();
  broker.authenticate = (client, username, _password, cb) => {
    if (username) users.set(client, username);
    cb(null, true);
  };
  broker.authorizePublish = (client, packet, cb) => {
    if (packet.topic.startsWith('$SYS/')) return cb(new Error('$SYS/ topic is reserved'));
    if (client && init.onPublish) {
      const why = init.onPublish(packet.topic, packet.payload as Buffer, { clientId: client.id, username: users.get(client) });
      if (why) return cb(new Error(why));
    }
    cb(null);
  };
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(init.port ?? 1883, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      broker.close(() => server.close(() => resolve()));
    }),
  };
}
