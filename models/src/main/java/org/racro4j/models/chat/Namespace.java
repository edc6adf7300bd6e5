package org.racro4j.models.chat;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code namespace(...)} makes: the one object whose attributes {@code {% set ns.x = ... %}} may assign. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
