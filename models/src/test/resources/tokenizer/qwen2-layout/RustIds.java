import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Encodes the texts of texts.json with Hugging Face's Rust tokenizers (through DJL's JNI binding). */
public class RustIds {
    public static void main(String[] args) throws Exception {
        Path tokenizerJson = Path.of(args[0]);
        List<String> texts = new Gson().fromJson(Files.readString(Path.of(args[1])), new TypeToken<List<String>>() {}.getType());
        Map<String, String> options = Map.of("addSpecialTokens", "false");
        List<Map<String, Object>> cases = new ArrayList<>();
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, options)) {
            for (String text : texts) {
                Encoding e = tokenizer.encode(text, false, false);
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("text", text);
                c.put("ids", e.getIds());
                cases.add(c);
            }
        }
        System.out.println(new Gson().toJson(cases));
    }
}
