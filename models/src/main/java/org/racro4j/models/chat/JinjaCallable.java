package org.racro4j.models.chat;

import java.util.List;
import java.util.Map;

/** A function a template can call: a global such as {@code namespace}, a bound string method, a macro. */
@FunctionalInterface
interface JinjaCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
