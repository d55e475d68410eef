import zookeeper from 'node-zookeeper-client';
import type { Client } from 'node-zookeeper-client';

/** Connects a node-zookeeper-client, rejecting after `timeoutMs`. */
export function connectZk(connectString: string, timeoutMs = 10_000): Promise<Client> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 4_000, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`ZooKeeper at ${connectString} not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

export function createNode(client: Client, path: string, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.create(path, Buffer.from(data), (err) => (err ? reject(err) : resolve()));
  });
}

export function getNodeData(client: Client, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.getData(path, (err, data) => (err ? reject(err) : resolve(data.toString('utf8'))));
  });
}
