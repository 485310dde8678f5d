package org.mailpin.gateway.it;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A lock file that lets one JVM at a time run the demo topology, whose loopback addresses and
 * ports are fixed: two test runs started at once wait for each other instead of failing on a
 * port in use.
 */
final class TopologyLock {

    private static final Path FILE = Path.of(System.getProperty("java.io.tmpdir"), "mailpin-topology.lock");
    private static FileChannel channel;
    private static FileLock lock;

    private TopologyLock() {
    }

    static synchronized void acquire() throws IOException {
        if (lock != null) {
            throw new IllegalStateException("this JVM already runs the topology; close it first");
        }
        channel = FileChannel.open(FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = channel.lock();
    }

    static synchronized void release() throws IOException {
        if (lock != null) {
            lock.release();
            channel.close();
            lock = null;
            channel = null;
        }
    }
}
