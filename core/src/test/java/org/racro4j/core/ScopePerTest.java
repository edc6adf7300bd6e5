package org.racro4j.core;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Opens a {@link Scope} before each test and closes it after, so every tensor a test makes is freed and the memory
 * checks see leaks: {@code @ExtendWith(ScopePerTest.class)} on the test class.
 */
public final class ScopePerTest implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ScopePerTest.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("scope", Scope.open());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        context.getStore(NS).remove("scope", Scope.class).close();
    }
}
