"""The request every Listen backend takes, and the function that checks user values.

A recording is checked (ffprobe: a readable file, an audio track, its length under the
operator's limit) before it is queued, so a bad file costs nothing and says what is wrong.
Whisper's 99 languages are offered by code ("en", "zh"...) or English name; "auto" detects
the language from the first half-minute of speech.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from genai_studio.backends.listen import media
from genai_studio.config import Settings
from genai_studio.errors import InvalidInput
from genai_studio.inputs import bounded_number, clean_text, shown

AUTO = "auto"
MAX_PROMPT_CHARS = 800  # Whisper reads at most 224 tokens of prompt
# Whisper's languages, in its own order (most data first): code -> English name
LANGUAGES = {
    "en": "English",
    "zh": "Chinese",
    "de": "German",
    "es": "Spanish",
    "ru": "Russian",
    "ko": "Korean",
    "fr": "French",
    "ja": "Japanese",
    "pt": "Portuguese",
    "tr": "Turkish",
    "pl": "Polish",
    "ca": "Catalan",
    "nl": "Dutch",
    "ar": "Arabic",
    "sv": "Swedish",
    "it": "Italian",
    "id": "Indonesian",
    "hi": "Hindi",
    "fi": "Finnish",
    "vi": "Vietnamese",
    "he": "Hebrew",
    "uk": "Ukrainian",
    "el": "Greek",
    "ms": "Malay",
    "cs": "Czech",
    "ro": "Romanian",
    "da": "Danish",
    "hu": "Hungarian",
    "ta": "Tamil",
    "no": "Norwegian",
    "th": "Thai",
    "ur": "Urdu",
    "hr": "Croatian",
    "bg": "Bulgarian",
    "lt": "Lithuanian",
    "la": "Latin",
    "mi": "Maori",
    "ml": "Malayalam",
    "cy": "Welsh",
    "sk": "Slovak",
    "te": "Telugu",
    "fa": "Persian",
    "lv": "Latvian",
    "bn": "Bengali",
    "sr": "Serbian",
    "az": "Azerbaijani",
    "sl": "Slovenian",
    "kn": "Kannada",
    "et": "Estonian",
    "mk": "Macedonian",
    "br": "Breton",
    "eu": "Basque",
    "is": "Icelandic",
    "hy": "Armenian",
    "ne": "Nepali",
    "mn": "Mongolian",
    "bs": "Bosnian",
    "kk": "Kazakh",
    "sq": "Albanian",
    "sw": "Swahili",
    "gl": "Galician",
    "mr": "Marathi",
    "pa": "Punjabi",
    "si": "Sinhala",
    "km": "Khmer",
    "sn": "Shona",
    "yo": "Yoruba",
    "so": "Somali",
    "af": "Afrikaans",
    "oc": "Occitan",
    "ka": "Georgian",
    "be": "Belarusian",
    "tg": "Tajik",
    "sd": "Sindhi",
    "gu": "Gujarati",
    "am": "Amharic",
    "yi": "Yiddish",
    "lo": "Lao",
    "uz": "Uzbek",
    "fo": "Faroese",
    "ht": "Haitian Creole",
    "ps": "Pashto",
    "tk": "Turkmen",
    "nn": "Nynorsk",
    "mt": "Maltese",
    "sa": "Sanskrit",
    "lb": "Luxembourgish",
    "my": "Myanmar",
    "bo": "Tibetan",
    "tl": "Tagalog",
    "mg": "Malagasy",
    "as": "Assamese",
    "tt": "Tatar",
    "haw": "Hawaiian",
    "ln": "Lingala",
    "ha": "Hausa",
    "ba": "Bashkir",
    "jw": "Javanese",
    "su": "Sundanese",
    "yue": "Cantonese",
}
ALIASES = {"mandarin": "zh", "cantonese": "yue", "jv": "jw", "iw": "he", "nb": "no"}


def language_choices() -> dict[str, str]:
    """Code -> name for pickers: detect first, then English and Chinese, then the rest by name."""
    rest = sorted((code for code in LANGUAGES if code not in ("en", "zh")), key=LANGUAGES.get)
    named = {"en": "English", "zh": "Chinese (Mandarin, simplified characters)"}
    return {AUTO: "Detect the language", **named, **{code: LANGUAGES[code] for code in rest}}


@dataclass(frozen=True)
class TranscribeRequest:
    media: Path  # the file to decode (an upload, a recording): never a path a user typed
    seconds: float | None  # its length, when the container says it
    language: str = AUTO  # a code of LANGUAGES, or "auto"
    translate: bool = False  # True: English text whatever the language spoken
    word_timestamps: bool = False
    prompt: str = ""  # words to expect (names, spellings); Whisper continues in its style
    temperature: float | None = None  # None: Whisper's fallback from 0 up when decoding fails
    max_seconds: float = 3600.0  # the operator's limit, enforced while decoding too
    name: str = ""  # the file's own name, for History

    @property
    def task(self) -> str:
        return "translate" if self.translate else "transcribe"

    def params(self) -> dict[str, object]:
        return {
            "language": self.language,
            "translate": self.translate,
            "word_timestamps": self.word_timestamps,
            "prompt": self.prompt,
            "source": self.name,
        }


def check_language(value: object) -> str:
    """A Whisper language code from a code ("zh", "zh-CN") or an English name ("Chinese")."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", AUTO)):
        return AUTO
    if isinstance(value, str):
        word = value.strip().lower().replace("_", "-")
        word = ALIASES.get(word, word)
        by_name = {name.lower(): code for code, name in LANGUAGES.items()}
        for candidate in (word, word.split("-")[0]):
            candidate = ALIASES.get(candidate, candidate)
            if candidate in LANGUAGES:
                return candidate
            if candidate in by_name:
                return by_name[candidate]
    raise InvalidInput(
        f"Language {shown(value)} is not one Whisper knows: use auto, or a code such as en, zh, fr, de, "
        f"es, ja ({len(LANGUAGES)} languages)."
    )


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInput(f"{field} must be true or false, got {shown(value)}.")


def build_request(
    settings: Settings,
    *,
    media_path: object,
    language: object = AUTO,
    translate: object = False,
    word_timestamps: object = False,
    prompt: object = "",
    temperature: object = None,
    name: object = "",
    field: str = "The recording",
) -> TranscribeRequest:
    """Check every user value and the file itself; raises InvalidInput saying what to change."""
    code = check_language(language)
    wanted = _flag(translate, "Translate")
    words = _flag(word_timestamps, "Word timestamps")
    hint = clean_text(prompt, field="Prompt", max_chars=MAX_PROMPT_CHARS, allow_empty=True).strip()
    heat = None
    if temperature not in (None, ""):
        heat = bounded_number(temperature, field="Temperature", low=0, high=1)
    limit = settings.max_listen_minutes * 60
    found = media.probe(media_path, field=field)
    if found.seconds is not None and found.seconds > limit + 1:
        raise InvalidInput(
            f"{field} is {found.seconds / 60:.1f} minutes long; this studio transcribes at most "
            f"{settings.max_listen_minutes:g} minutes at a time: cut it into parts."
        )
    label = clean_text(name, field="Name", max_chars=4000, allow_empty=True).strip()
    return TranscribeRequest(
        media=found.path,
        seconds=found.seconds,
        language=code,
        translate=wanted,
        word_timestamps=words,
        prompt=hint,
        temperature=heat,
        max_seconds=limit,
        name=Path(label).name[:200] if label else found.path.name[:200],
    )
