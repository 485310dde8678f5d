package org.mailpin.gateway.mail.lmtp;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Writes one DATA section to several backends at once, chunk by chunk.
 *
 * <p>Each backend has its own writer thread and a queue of at most {@link #QUEUE_CHUNKS} chunks,
 * so the proxy keeps a few chunks per backend however large the message is, and a slow backend
 * slows the client down instead of growing memory. A backend that takes no chunk for the stall
 * timeout, or whose write fails, is failed and its socket closed; the other backends go on.
 * Socket writes have no timeout of their own, so closing the socket is what ends a stuck write.
 */
final class DataFanOut {

    /** Maximum bytes in one chunk. */
    static final int CHUNK_SIZE = 64 * 1024;

    /** Chunks queued per backend before the client has to wait. */
    static final int QUEUE_CHUNKS = 4;

    private static final byte[] END = new byte[0];

    private final List<Writer> writers = new ArrayList<>();
    private final Duration stallTimeout;

    /** Starts one writer thread per backend. */
    DataFanOut(List<BackendConnection> targets, Duration stallTimeout) {
        this.stallTimeout = stallTimeout;
        for (BackendConnection target : targets) {
            Writer writer = new Writer(target);
            writers.add(writer);
            writer.thread = Thread.ofVirtual().name("lmtp-data-" + target.backend().id()).start(writer::run);
        }
    }

    /** Queues a chunk for every backend that has not failed; the array must not change afterwards. */
    void send(byte[] chunk) throws InterruptedException {
        for (Writer writer : writers) {
            if (writer.failure == null && !writer.queue.offer(chunk, stallTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                writer.fail(new IOException("backend took no data for " + stallTimeout.toSeconds() + " s"));
            }
        }
    }

    /** Waits until every backend has written all queued chunks or failed. */
    void finish() throws InterruptedException {
        for (Writer writer : writers) {
            writer.end();
        }
        for (Writer writer : writers) {
            if (!writer.thread.join(stallTimeout)) {
                writer.fail(new IOException("writing the message did not finish within " + stallTimeout.toSeconds() + " s"));
                writer.thread.join();
            }
        }
    }

    /** Fails every backend, which makes it discard the unfinished message, and stops the writers. */
    void abort(String reason) throws InterruptedException {
        for (Writer writer : writers) {
            writer.fail(new IOException(reason));
        }
        finish();
    }

    /** Returns why writing to the backend failed, or null if every chunk so far was written. */
    IOException failure(BackendConnection target) {
        for (Writer writer : writers) {
            if (writer.target == target) {
                return writer.failure;
            }
        }
        throw new IllegalArgumentException("backend " + target.describe() + " is not a target of this DATA section");
    }

    private final class Writer {

        final BackendConnection target;
        final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
        volatile IOException failure;
        Thread thread;

        Writer(BackendConnection target) {
            this.target = target;
        }

        // After a failure the loop keeps taking chunks without writing them, so that send() and
        // end() do not block on a failed backend.
        void run() {
            try {
                while (true) {
                    byte[] chunk = queue.take();
                    if (chunk == END) {
                        return;
                    }
                    if (failure == null) {
                        write(chunk);
                    }
                }
            } catch (InterruptedException e) {
                fail(new IOException("interrupted while writing the message"));
            }
        }

        private void write(byte[] chunk) {
            try {
                target.dataOutput().write(chunk);
            } catch (IOException e) {
                fail(e);
            }
        }

        void end() throws InterruptedException {
            if (!queue.offer(END, stallTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(new IOException("backend took no data for " + stallTimeout.toSeconds() + " s"));
                queue.put(END);
            }
        }

        synchronized void fail(IOException e) {
            if (failure == null) {
                failure = e;
                target.abort();
            }
        }
    }
}
