"""Line-breaking rules between characters for scripts written without spaces (kinsoku shori)."""

# Closing punctuation, small kana and prolonged sound marks must not start a line.
NO_LINE_START = frozenset(
    "、。，．・：；？！‼⁇⁈⁉）〕］｝〉》」』】〙〗〟’”｠»ヽヾーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻‐゠–〜～…‥"
    ",.:;?!)]}%"
)
# Opening brackets must not end a line.
NO_LINE_END = frozenset("（〔［｛〈《「『【〘〖〝‘“｟«([{")
