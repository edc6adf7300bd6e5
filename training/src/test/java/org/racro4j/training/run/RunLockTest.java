package org.racro4j.training.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run folder is held by one process at a time, whether the second attempt comes from another process or this one. */
class RunLockTest {
    @TempDir
    Path tmp;

    static String inUse(Path folder, long pid) {
        return folder + " is in use by another racro4j run (pid " + pid + "); wait for it to end or choose another folder";
    }

    /**
     * This process holds a folder; a second attempt from it is refused with the same line another process gets, and
     * does not loosen the lock: a child JVM trying next is refused too, naming this process. Once released, the
     * folder can be locked again, from here and from another process.
     */
    @Test
    void aHeldFolderIsRefusedToThisProcessAndToOthersUntilReleased() throws Exception {
        Path folder = tmp.resolve("run");
        long self = ProcessHandle.current().pid();
        try (RunLock held = RunLock.acquire(folder)) {
            IOException again = assertThrows(IOException.class, () -> RunLock.acquire(folder));
            assertEquals(inUse(folder, self), again.getMessage());
            Path link = Files.createSymbolicLink(tmp.resolve("link"), folder);
            IOException viaAnotherName = assertThrows(IOException.class, () -> RunLock.acquire(link));
            assertTrue(viaAnotherName.getMessage().contains("(pid " + self + ")"), viaAnotherName.getMessage());
            try (ChildJvm other = ChildJvm.start(TryRunLock.class, folder.toString())) {
                assertEquals(3, other.awaitExit(), other.output());
                assertEquals(inUse(folder, self), other.lastLine());
            }
        }
        try (RunLock again = RunLock.acquire(folder)) {
            assertEquals(folder, again.folder());
        }
        try (ChildJvm other = ChildJvm.start(TryRunLock.class, folder.toString())) {
            assertEquals(0, other.awaitExit(), other.output());
        }
    }

    /**
     * Code in this process that locked run.lock by itself (not through RunLock) holds it too: the attempt is refused with
     * the same line, and that lock stays in force for other processes.
     */
    @Test
    void aLockTakenInThisProcessWithoutRunLockIsRespectedToo() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("run"));
        try (FileChannel ch = FileChannel.open(folder.resolve(RunLock.FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            IOException e = assertThrows(IOException.class, () -> RunLock.acquire(folder));
            assertEquals(inUse(folder, ProcessHandle.current().pid()), e.getMessage());
            try (ChildJvm other = ChildJvm.start(TryRunLock.class, folder.toString())) {
                assertEquals(3, other.awaitExit(), other.output());
            }
        }
    }

    /** A folder held by another process is refused with one line naming the folder and that process; nothing is written. */
    @Test
    void aFolderHeldByAnotherProcessIsRefusedNamingIt() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("run"));
        try (ChildJvm other = ChildJvm.start(HoldRunLock.class, folder.toString())) {
            other.awaitUntil(() -> other.outputQuietly().contains(HoldRunLock.HELD), "the lock held");
            byte[] before = Files.readAllBytes(folder.resolve(RunLock.FILE));
            IOException e = assertThrows(IOException.class, () -> RunLock.acquire(folder));
            assertEquals(inUse(folder, other.pid()), e.getMessage());
            assertEquals(other.pid() + "\n", new String(before), "the holder's pid is in the lock file");
            assertEquals(new String(before), Files.readString(folder.resolve(RunLock.FILE)));
        }
        try (RunLock mine = RunLock.acquire(folder)) {   // the killed holder's lock went with it
            assertTrue(Files.exists(folder.resolve(RunLock.FILE)));
        }
    }

    /** Tries to lock args[0]: exit 0 if it could, else the message and exit 3. */
    static final class TryRunLock {
        public static void main(String[] args) {
            try (RunLock lock = RunLock.acquire(Path.of(args[0]))) {
                System.exit(0);
            } catch (IOException e) {
                System.out.println(e.getMessage());
                System.exit(3);
            }
        }
    }
}
