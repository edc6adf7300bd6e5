package org.racro4j.training.tasks;

/**
 * Settings of the built-in task generator.
 *
 * @param seed      base seed; every item's seed derives from (seed, split, index)
 * @param imageSize width and height of the square images, in pixels (at least 24; 48 by default). The
 *                  image tests pass at 48, 64 and 96 (and every size from 56 up that was tried); at 40 and
 *                  below a triangle rasterises into a blob that a fill-ratio check can no longer tell from
 *                  a circle, so shape questions get hard to perceive there.
 * @param mix       how often each category is generated
 */
public record TaskGeneratorConfig(long seed, int imageSize, TaskMix mix) {

    public static final int DEFAULT_IMAGE_SIZE = 48;

    public TaskGeneratorConfig {
        if (imageSize < 24) {
            throw new IllegalArgumentException("image size must be at least 24 pixels, got " + imageSize);
        }
        java.util.Objects.requireNonNull(mix, "mix");
    }

    public static TaskGeneratorConfig defaults(long seed) {
        return new TaskGeneratorConfig(seed, DEFAULT_IMAGE_SIZE, TaskMix.uniform());
    }

    public TaskGeneratorConfig withImageSize(int size) {
        return new TaskGeneratorConfig(seed, size, mix);
    }

    public TaskGeneratorConfig withMix(TaskMix newMix) {
        return new TaskGeneratorConfig(seed, imageSize, newMix);
    }
}
