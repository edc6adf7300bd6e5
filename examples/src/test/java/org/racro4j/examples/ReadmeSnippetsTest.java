package org.racro4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "Use racro4j from your project" section against the build: the version its Maven and Gradle snippets
 * name, the artifacts they depend on, the standalone BOM's own version, and the example programs its commands run.
 */
class ReadmeSnippetsTest {
    static final Path ROOT = Path.of("..");
    static String version;
    static String section;
    static String bomPom;

    @BeforeAll
    static void read() throws IOException {
        version = System.getProperty("racro4j.version");
        assertNotNull(version, "surefire passes racro4j.version (examples/pom.xml)");
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("## Use racro4j from your project");
        assertTrue(start > readme.indexOf("## Quick start"), "the section follows the quick start");
        section = readme.substring(start, readme.indexOf("\n## ", start + 3));
        bomPom = Files.readString(ROOT.resolve("bom/pom.xml"));
    }

    @Test
    void theBomHasTheReactorsVersion() {
        // the BOM has no parent (so that it leaks no third-party versions): its version is written out and must follow
        Matcher m = Pattern.compile("<artifactId>racro4j-bom</artifactId>\\s*<version>([^<]+)</version>").matcher(bomPom);
        assertTrue(m.find(), "bom/pom.xml declares its version");
        assertEquals(version, m.group(1), "bom/pom.xml's version");
        assertFalse(bomPom.contains("<parent>"), "the BOM inherits nothing");
    }

    @Test
    void theSnippetsImportThisVersionOfTheBomAndOnlyArtifactsItManages() {
        Matcher maven = Pattern.compile("<artifactId>racro4j-bom</artifactId>\\s*<version>([^<]+)</version>").matcher(section);
        assertTrue(maven.find(), "Maven snippet imports the BOM");
        assertEquals(version, maven.group(1));
        Matcher gradle = Pattern.compile("platform\\(\"org\\.racro4j:racro4j-bom:([^\"]+)\"\\)").matcher(section);
        assertTrue(gradle.find(), "Gradle snippet uses the BOM as a platform");
        assertEquals(version, gradle.group(1));

        Set<String> used = new LinkedHashSet<>();
        Matcher a = Pattern.compile("<artifactId>(racro4j-[a-z]+)</artifactId>|\"org\\.racro4j:(racro4j-[a-z]+)\"").matcher(section);
        while (a.find()) used.add(a.group(1) != null ? a.group(1) : a.group(2));
        used.remove("racro4j-bom");
        assertEquals(Set.of("racro4j-core", "racro4j-models"), used, "the snippets' dependencies");
        for (String artifact : used) {
            assertTrue(bomPom.contains("<artifactId>" + artifact + "</artifactId>"), "the BOM manages " + artifact);
        }
    }

    @Test
    void theCommandsRunProgramsThatExist() throws ReflectiveOperationException {
        Matcher m = Pattern.compile("org\\.racro4j\\.examples\\.([A-Za-z]+)").matcher(section);
        Set<String> programs = new LinkedHashSet<>();
        while (m.find()) programs.add(m.group(1));
        assertEquals(Set.of("TrainMlp", "GenerateText"), programs);
        for (String p : programs) {
            Class.forName("org.racro4j.examples." + p).getMethod("main", String[].class);   // throws if there is none
        }
    }
}
