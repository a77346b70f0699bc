// Lambda-style runtime for Node.js. Runs INSIDE the sandbox only, as /var/runtime/bootstrap.cjs.
//
// Started as `node [--max-old-space-size=N] /var/runtime/bootstrap.cjs CTL GO REQUEST_ID
// TIMEOUT_MS MODULE_FILE`, with the function in /var/task/MODULE_FILE (index.js for CommonJS,
// index.mjs for an ES module) and the event as JSON in /var/runtime/event. The protocol on the
// CTL and GO pipes is python_bootstrap.py's: "B" (running), "R" (module loaded; then wait for a
// byte on GO), then one frame: kind + 8-byte big-endian length + payload, kind "J" (the result
// as JSON) or "E" (an error document). Semantics follow the AWS Node.js runtime interface
// client: async/promise handlers; callback handlers (which wait for an empty event loop unless
// context.callbackWaitsForEmptyEventLoop = false); plain sync handlers (their return value is
// ignored, the result is null); console patched to "<time>\t<request id>\t<LEVEL>\t<message>".
// After each frame it waits on GO for the next invocation of a warm environment: "N" + 4-byte
// big-endian length + "REQUEST_ID\nTIMEOUT_MS\n" + the event as JSON; EOF on GO ends the process.
'use strict';

const fs = require('fs');
const util = require('util');

const ctlFd = Number(process.argv[2]);
const goFd = Number(process.argv[3]);
let requestId = process.argv[4];
let timeoutMs = Number(process.argv[5]);
const moduleFile = process.argv[6];
const TASK_ROOT = '/var/task';

function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    off += fs.writeSync(ctlFd, buf, off, buf.length - off);
  }
}

function sendFrame(kind, text) {
  const payload = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(9);
  head.write(kind, 0, 1, 'latin1');
  head.writeBigUInt64BE(BigInt(payload.length), 1);
  writeAll(Buffer.concat([head, payload]));
  // Then wait for the next invocation (the runner freezes us meanwhile), once this turn of the
  // event loop is over. The handler is passed along so that a frame sent during INIT (an
  // import error) does not wait: the runner discards such an environment.
  if (currentHandler !== null) {
    const handler = currentHandler;
    currentHandler = null;
    setImmediate(() => waitForNext(handler));
  }
}

let currentHandler = null;

function readExact(n) {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let got;
    try {
      got = fs.readSync(goFd, buf, off, n - off, null);
    } catch (err) {
      if (err.code === 'EAGAIN' || err.code === 'EINTR') continue;
      return null;
    }
    if (got === 0) return null;
    off += got;
  }
  return buf;
}

function waitForNext(handler) {
  // A blocking read: nothing of the function runs until the next invocation arrives, as on a
  // frozen Lambda sandbox; EOF means the environment is being torn down.
  const head = readExact(5);
  if (head === null || head.toString('latin1', 0, 1) !== 'N') process.exit(0);
  const payload = readExact(head.readUInt32BE(1));
  if (payload === null) process.exit(0);
  const first = payload.indexOf(10);
  const second = payload.indexOf(10, first + 1);
  requestId = payload.toString('latin1', 0, first);
  timeoutMs = Number(payload.toString('latin1', first + 1, second));
  invoke(handler, JSON.parse(payload.toString('utf8', second + 1)));
}


writeAll(Buffer.from('B'));
// bwrap exports PWD after --chdir; Lambda's environment has no such variable.
delete process.env.PWD;

// Lambda logs "undefined" as the request id of anything printed during INIT.
let currentRequestId;

function patchConsole() {
  const write = (level) => (message, ...params) => {
    const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(
      message,
      ...params,
    )}\n`;
    process.stdout.write(line);
  };
  console.trace = write('TRACE');
  console.debug = write('DEBUG');
  console.info = write('INFO');
  console.log = console.info;
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.fatal = write('FATAL');
}

function isErrorLike(obj) {
  return (
    obj &&
    typeof obj.name === 'string' &&
    typeof obj.message === 'string' &&
    typeof obj.stack === 'string'
  );
}

function toRuntimeResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: String(error.name),
        errorMessage: String(error.message),
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_err) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function toFormatted(error) {
  try {
    return (
      '\t' +
      JSON.stringify(error, (_k, v) => {
        if (v instanceof Error) {
          const ret = Object.assign(
            { errorType: v.name, errorMessage: v.message, code: v.code },
            v,
          );
          if (typeof v.stack === 'string') ret.stack = v.stack.split('\n');
          return ret;
        }
        return v;
      })
    );
  } catch (_err) {
    return '\t' + JSON.stringify(toRuntimeResponse(error));
  }
}

function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

let finished = false;

function postError(label, err) {
  if (finished) return;
  finished = true;
  console.error(label, toFormatted(intoError(err)));
  const r = toRuntimeResponse(err);
  sendFrame(
    'E',
    JSON.stringify({ errorMessage: r.errorMessage, errorType: r.errorType, stackTrace: r.trace }),
  );
}

function postResult(result) {
  if (finished) {
    console.error(
      'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
    );
    return;
  }
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch (_err) {
    postError('Invoke Error', new Error('Unable to stringify response body'));
    return;
  }
  finished = true;
  sendFrame('J', body === undefined ? 'null' : body);
}

class RuntimeError extends Error {}

function runtimeError(name, message, stack) {
  const err = new RuntimeError(message);
  Object.defineProperty(err, 'name', { value: name, enumerable: false, configurable: true });
  if (stack !== undefined) err.stack = stack;
  return err;
}

async function loadHandler() {
  let mod;
  try {
    const file = `${TASK_ROOT}/${moduleFile}`;
    mod = moduleFile.endsWith('.mjs') ? await import(file) : require(file);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw runtimeError('Runtime.UserCodeSyntaxError', String(e), e.stack);
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw runtimeError('Runtime.ImportModuleError', String(e));
    }
    throw e;
  }
  const handler = mod && mod.handler;
  if (!handler) {
    throw runtimeError('Runtime.HandlerNotFound', 'index.handler is undefined or not exported');
  }
  if (typeof handler !== 'function') {
    throw runtimeError('Runtime.HandlerNotFound', 'index.handler is not a function');
  }
  return handler;
}

let beforeExit = null;
process.on('beforeExit', () => {
  const listener = beforeExit;
  beforeExit = null;
  if (listener) listener();
});

function invoke(handler, event) {
  finished = false;
  currentHandler = handler;
  const deadline = Date.now() + timeoutMs;
  const isAsync = handler.constructor && handler.constructor.name === 'AsyncFunction';
  let waitForEmptyEventLoop = true;
  let called = false;
  const once = (fn) =>
    function (...args) {
      if (called) return;
      called = true;
      fn(...args);
    };
  const done = once((err, result) => {
    beforeExit = null;
    if (err !== undefined && err !== null) postError('Invoke Error', err);
    else postResult(result);
  });
  const callback = once((err, result) => {
    beforeExit = null;
    if (err !== undefined && err !== null) {
      postError('Invoke Error', err);
    } else if (!waitForEmptyEventLoop) {
      postResult(result);
    } else {
      beforeExit = () => setImmediate(() => postResult(result));
    }
  });
  const env = process.env;
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: (result) => done(null, result),
    fail: (err) => done(err === undefined || err === null ? 'handled' : err, null),
    done: (err, result) => done(err, result),
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION}:123456789012:function:${env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };

  // If the handler neither settles a promise nor calls back before the event loop empties.
  beforeExit = () => {
    if (isAsync) {
      postError(
        'Invoke Error',
        runtimeError(
          'Runtime.NodeJsExit',
          'Error: Runtime exited without providing a reason: the handler returned a promise that never settled',
        ),
      );
    } else {
      postResult(null);
    }
  };

  currentRequestId = requestId;
  try {
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      result.then(
        (value) => done(null, value),
        (err) => done(err === undefined || err === null ? 'handled' : err, null),
      );
    }
  } catch (err) {
    callback(err);
  }
}

process.on('uncaughtException', (err) => {
  postError('Uncaught Exception', err);
  process.exit(129);
});
process.on('unhandledRejection', (reason) => {
  const err = runtimeError(
    'Runtime.UnhandledPromiseRejection',
    reason === undefined || reason === null ? String(reason) : reason.toString(),
  );
  postError('Unhandled Promise Rejection', err);
  process.exit(128);
});

patchConsole();
loadHandler().then(
  (handler) => {
    writeAll(Buffer.from('R'));
    fs.readSync(goFd, Buffer.alloc(1), 0, 1, null);
    invoke(handler, JSON.parse(fs.readFileSync('/var/runtime/event', 'utf8')));
  },
  (err) => {
    postError('Uncaught Exception', err);
    process.exit(129);
  },
);
