package org.racro4j.models.vision;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.racro4j.core.Tensor;

/**
 * Image → model input: resize to image_size × image_size (bilinear), scale to [0, 1], normalise per channel with
 * the config's mean/std, then cut into patches flattened as (channel, row, column) — the layout of a
 * stride-p convolution's weight, so a conv checkpoint's weight reshaped is the patch-embedding matrix.
 */
public final class ImageProcessor {
    private final VisionConfig config;

    public ImageProcessor(VisionConfig config) {
        this.config = config;
    }

    public static BufferedImage read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new IOException("image " + path + " does not exist");
        BufferedImage img;
        try {
            img = ImageIO.read(path.toFile());
        } catch (IOException e) {
            throw new IOException("image " + path + " cannot be read: " + e.getMessage(), e);
        }
        if (img == null) throw new IOException("image " + path + " is not a PNG, JPEG, GIF or BMP file Java can decode");
        return img;
    }

    /** Patches [B, P, 3·p·p] for a batch of images. */
    public Tensor patches(List<BufferedImage> images) {
        int p = config.patchSize();
        int side = config.patchesPerSide();
        int dim = config.patchDim();
        int n = config.numPatches();
        float[] out = new float[images.size() * n * dim];
        for (int b = 0; b < images.size(); b++) {
            float[][] px = normalisedPixels(images.get(b));
            int base = b * n * dim;
            for (int py = 0; py < side; py++) {
                for (int pxi = 0; pxi < side; pxi++) {
                    int patch = base + (py * side + pxi) * dim;
                    for (int c = 0; c < 3; c++) {
                        for (int y = 0; y < p; y++) {
                            for (int x = 0; x < p; x++) {
                                out[patch + (c * p + y) * p + x] = px[c][(py * p + y) * config.imageSize() + pxi * p + x];
                            }
                        }
                    }
                }
            }
        }
        return Tensor.of(out, images.size(), n, dim);
    }

    /** [channel][y * size + x] in normalised units. */
    float[][] normalisedPixels(BufferedImage src) {
        int s = config.imageSize();
        BufferedImage img = src;
        if (src.getWidth() != s || src.getHeight() != s || src.getType() != BufferedImage.TYPE_INT_RGB) {
            img = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, s, s, null);
            g.dispose();
        }
        float[][] ch = new float[3][s * s];
        float[] mean = config.mean();
        float[] std = config.std();
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int rgb = img.getRGB(x, y);
                int i = y * s + x;
                ch[0][i] = (((rgb >> 16) & 0xff) / 255f - mean[0]) / std[0];
                ch[1][i] = (((rgb >> 8) & 0xff) / 255f - mean[1]) / std[1];
                ch[2][i] = ((rgb & 0xff) / 255f - mean[2]) / std[2];
            }
        }
        return ch;
    }
}
