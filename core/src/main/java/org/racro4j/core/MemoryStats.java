package org.racro4j.core;

/**
 * Allocator statistics of one backend. {@code bytesInUse} counts live storages; {@code bytesReserved} is
 * what the backend holds from the system (equal to in-use where nothing is cached); {@code peakBytesInUse}
 * is the high-water mark since the last reset; {@code allocations} counts calls that reached the system.
 */
public record MemoryStats(long bytesInUse, long bytesReserved, long peakBytesInUse, long liveStorages, long allocations) {
}
