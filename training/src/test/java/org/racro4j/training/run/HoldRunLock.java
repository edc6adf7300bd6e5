package org.racro4j.training.run;

import java.nio.file.Path;

/** For tests, run in a child JVM: locks the run folder args[0], says so, then holds it until killed. */
public final class HoldRunLock {
    public static final String HELD = "holding the run folder";

    public static void main(String[] args) throws Exception {
        RunLock lock = RunLock.acquire(Path.of(args[0]));
        System.out.println(HELD + " " + lock.folder());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
