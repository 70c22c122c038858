import mongoose, { type Connection } from 'mongoose';

/**
 * Opens one mongoose connection for this process. Commands are never buffered while
 * disconnected: a request during an outage fails fast instead of hanging.
 */
export async function connectMongo(uri: string, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    bufferCommands: false,
    autoIndex: true,
    maxPoolSize: 20,
  });
  await connection.asPromise();
  return connection;
}

/** True when the server answers a ping right now. */
export async function mongoReady(connection: Connection): Promise<boolean> {
  if (connection.readyState !== 1 || !connection.db) return false;
  const reply = await connection.db.admin().command({ ping: 1 });
  return reply.ok === 1;
}

/**
 * True for the driver's "cannot reach the server" failures (no server selected in time, a
 * connection dropped or its pool cleared, the client closed): the database is unavailable
 * right now, which is an outage to report as 503 for clients to retry, not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { MongoServerSelectionError, MongoNetworkError, MongoNotConnectedError, MongoTopologyClosedError, MongoServerError } =
    mongoose.mongo;
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    // mongoose's own wrapper of a failed server selection
    (error instanceof Error && error.name === 'MongooseServerSelectionError') ||
    // a server shutting down, starting up or unreachable behind it: the codes drivers retry on
    (error instanceof MongoServerError && (SERVER_GOING_AWAY.has(Number(error.code)) || error.hasErrorLabel('RetryableWriteError')))
  );
}

/** Server error codes of a server that is going away or not yet back (what drivers treat as retryable). */
const SERVER_GOING_AWAY = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
