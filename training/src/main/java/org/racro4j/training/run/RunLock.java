package org.racro4j.training.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one process that writes a run folder: an exclusive OS lock on {@code <folder>/run.lock}, which holds the pid of
 * its holder. The operating system releases the lock when the process ends, however it ends, so a killed run never
 * leaves its folder locked; the stale file is simply locked again by the next run.
 *
 * <p>Why this process keeps its own list of held folders: on Linux these are POSIX record locks, which belong to the
 * process, and closing any descriptor of the file (even one opened only to read it) drops them. So a second attempt
 * from this process must be refused without ever opening the file.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = "run.lock";

    /** Folders this process holds, by real path. */
    private static final Set<Path> HELD = new HashSet<>();
    /** Channels that must stay open because closing them would drop a lock someone else in this process holds. */
    private static final List<FileChannel> KEPT_OPEN = new ArrayList<>();

    private final Path folder;
    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path folder, Path key, FileChannel channel, FileLock lock) {
        this.folder = folder;
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code folder} (created if missing) for this process, or fails with one line naming the folder and the
     * process that holds it. A refused attempt changes nothing in the folder.
     */
    public static RunLock acquire(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path key = folder.toRealPath();
        Path file = key.resolve(FILE);
        long self = ProcessHandle.current().pid();
        synchronized (HELD) {
            if (HELD.contains(key)) throw inUse(folder, self);
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                // Locked by other code in this process; closing our descriptor would release that lock.
                KEPT_OPEN.add(channel);
                throw inUse(folder, self);
            } catch (IOException e) {
                channel.close();
                throw new IOException("cannot lock " + file + ": " + e.getMessage(), e);
            }
            if (lock == null) {
                channel.close();
                throw inUse(folder, holder(file));
            }
            try {
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((self + "\n").getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                channel.close();
                throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            HELD.add(key);
            return new RunLock(folder, key, channel, lock);
        }
    }

    public Path folder() {
        return folder;
    }

    /** Releases the folder; the pid is removed first so the file never names a process that no longer holds it. */
    @Override
    public void close() throws IOException {
        synchronized (HELD) {
            try {
                if (lock.isValid()) channel.truncate(0);
            } finally {
                HELD.remove(key);
                channel.close();   // releases the lock
            }
        }
    }

    private static IOException inUse(Path folder, long pid) {
        String who = pid > 0 ? "pid " + pid : "pid not recorded yet";
        return new IOException(folder + " is in use by another racro4j run (" + who + "); wait for it to end or choose another folder");
    }

    /** The pid the holder wrote, or -1 when the file holds none yet (it has locked it but not written it). */
    private static long holder(Path file) {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
