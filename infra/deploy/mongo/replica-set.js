/* global rs, db, quit, sleep -- mongosh provides these to scripts it runs */
// Run once by the `mongo-init` job of docker-compose.yml (mongosh --file): makes the single
// mongod a one-member replica set (production MongoDB features such as change streams and
// transactions need one), then waits until it is primary. Idempotent: an initiated set is
// left alone. Bounded: at most 60 checks, one a second.
const host = process.env.MONGO_RS_HOST || 'mongo:27017';
const name = process.env.MONGO_RS_NAME || 'rs0';

let initiated = true;
try {
  rs.status();
} catch (error) {
  if (error.codeName !== 'NotYetInitialized') throw error;
  initiated = false;
}
if (!initiated) {
  rs.initiate({ _id: name, members: [{ _id: 0, host }] });
  print(`replica set ${name} initiated with ${host}`);
}

for (let attempt = 1; attempt <= 60; attempt++) {
  if (db.hello().isWritablePrimary) {
    print(`replica set ${name} has a primary`);
    quit(0);
  }
  sleep(1000);
}
print(`replica set ${name} elected no primary within 60 s`);
quit(1);
