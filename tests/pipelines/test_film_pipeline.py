"""The film pipeline end to end on real ffmpeg: a story's audio, cues and script with pictures
to an MP4 (read back with ffprobe and decoded frames), the timing of shots, subtitles burned
and soft, Stop, and bad inputs. Short films at 360p keep it quick."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw

from genai_studio import film_frames, film_text
from genai_studio.errors import InvalidInput
from genai_studio.pipelines import film
from genai_studio.subtitles import Cue, from_srt

RATE = 44_100
SCRIPT = (
    "The keeper climbs the stairs.\n\n"
    "The lamp turns over the sea. The ships see it.\n\n"
    "The sea grows calm at last."
)
CUES = (
    Cue(2.0, 3.2, "The keeper climbs the stairs."),
    Cue(3.8, 5.0, "The lamp turns over the sea."),
    Cue(5.1, 6.0, "The ships see it."),
    Cue(6.6, 7.8, "The sea grows calm at last."),
)
SECONDS = 10.0
COLOURS = ((200, 40, 40), (40, 170, 60), (40, 60, 200))


def tone(path: Path, seconds: float = SECONDS) -> Path:
    t = np.arange(round(seconds * RATE)) / RATE
    wave = (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    sf.write(path, np.stack([wave, wave], axis=1), RATE)
    return path


def picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    """A flat colour with a darker top and bottom band (where a portrait's face and feet are)."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    band = max(1, size[1] // 12)
    dark = tuple(c // 3 for c in colour)
    draw.rectangle([0, 0, size[0], band], fill=dark)
    draw.rectangle([0, size[1] - band, size[0], size[1]], fill=dark)
    image.save(path, quality=92)
    return path


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    folder = tmp_path_factory.mktemp("film-story")
    pictures = [
        picture(folder / "wide.jpg", (1200, 800), COLOURS[0]),
        picture(folder / "portrait.jpg", (600, 1000), COLOURS[1]),
        picture(folder / "panorama.png", (1500, 400), COLOURS[2]),
    ]
    return tone(folder / "story.wav"), pictures, folder


def render(plan: film.FilmPlan, workdir: Path, cancel: threading.Event | None = None):
    items = list(film.render_film(plan, workdir, cancel or threading.Event()))
    return items[-1] if items and isinstance(items[-1], film.Film) else None, items


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)


def frames_at(path: Path, times: list[float], size: tuple[int, int]) -> list[np.ndarray]:
    """The decoded frames at `times` (each the frame shown then)."""
    found = []
    for t in times:
        raw = subprocess.run(
            ["ffmpeg", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        found.append(np.frombuffer(raw, np.uint8).reshape(size[1], size[0], 3))
    return found


def nearest(colour: np.ndarray) -> int:
    return int(np.argmin([np.abs(colour - np.array(c)).sum() for c in COLOURS]))


# -- a whole film ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def burned(story, tmp_path_factory):
    audio, pictures, _ = story
    workdir = tmp_path_factory.mktemp("film-burned")
    plan = film.build_film_plan(
        audio=str(audio), cues=CUES, script=SCRIPT, pictures=[str(p) for p in pictures], resolution=360
    )
    done, items = render(plan, workdir)
    assert done is not None, items[-3:]
    return plan, done, items


def test_the_film_is_h264_and_aac_as_long_as_the_story(burned):
    _plan, done, items = burned
    info = probe(done.files[film.FILM])
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], audio["codec_name"]) == ("h264", "aac")
    assert (video["width"], video["height"]) == (640, 360) and video["pix_fmt"] == "yuv420p"
    assert video["r_frame_rate"] == "25/1"
    assert abs(float(info["format"]["duration"]) - SECONDS) <= 0.2
    assert abs(float(video["duration"]) - SECONDS) <= 0.2 and abs(float(audio["duration"]) - SECONDS) <= 0.2
    assert info["format"]["format_name"].startswith("mov,mp4")
    assert done.params["pictures_used"] == 3 and not done.notes
    progress = [i for i in items if isinstance(i, film.FilmProgress) and i.frames]
    assert len(progress) >= 5 and progress[-1].frames_done == progress[-1].frames == 250
    poster = Image.open(done.files[film.POSTER])
    assert poster.size == (640, 360)


def test_pictures_change_at_paragraph_boundaries(burned):
    plan, done, _ = burned
    segments = film.timeline(SECONDS, plan.cues, plan.paragraphs, 3)
    kinds = [s.kind for s in segments]
    assert kinds == ["title", "picture", "picture", "picture", "end"]
    # the paragraphs' boundaries: in the pauses between them
    assert 3.2 < segments[2].start < 3.8 and 6.0 < segments[3].start < 6.6
    half = film.CROSSFADE_S / 2 + 0.05
    times = []
    for s in segments[1:4]:
        times += [s.start + half, (s.start + s.end) / 2, s.end - half]
    shots = frames_at(done.files[film.FILM], times, (640, 360))
    seen = [nearest(frame[60:200, 200:440].reshape(-1, 3).mean(axis=0)) for frame in shots]
    assert seen == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_burned_subtitles_show_at_their_cue_times_only(burned):
    _, done, _ = burned
    during = [(c.start + c.end) / 2 for c in CUES]
    between = [3.5, 6.3, 9.5]  # pauses between cues, and the end card
    shots = frames_at(done.files[film.FILM], during + between, (640, 360))
    band = [frame[240:340, 40:600] for frame in shots]  # the subtitle's place: above the bottom margin
    white = [int((b.min(axis=2) > 225).sum()) for b in band]
    assert all(w > 150 for w in white[: len(during)]), white
    assert all(w < 20 for w in white[len(during) :]), white


def test_soft_subtitles_are_a_track_at_the_cue_times(story, tmp_path):
    audio, pictures, _ = story
    plan = film.build_film_plan(
        audio=str(audio),
        cues=CUES,
        script=SCRIPT,
        pictures=[str(pictures[0])],
        resolution=360,
        subtitles="soft",
    )
    done, _ = render(plan, tmp_path)
    info = probe(done.files[film.FILM])
    track = next(s for s in info["streams"] if s["codec_type"] == "subtitle")
    assert track["codec_name"] == "mov_text" and track["tags"]["language"] == "eng"
    srt = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(done.files[film.FILM]), "-map", "0:s:0", "-f", "srt", "pipe:1"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    read = from_srt(srt)
    assert [c.text for c in read] == [c.text for c in CUES]
    assert all(
        abs(a.start - b.start) < 0.05 and abs(a.end - b.end) < 0.05 for a, b in zip(read, CUES, strict=True)
    )
    # no words on the frames: the band stays free of white text during a cue
    (frame,) = frames_at(done.files[film.FILM], [2.6], (640, 360))
    assert int((frame[240:340, 40:600].min(axis=2) > 225).sum()) < 20


# -- pictures of every shape, and none ---------------------------------------------------


def test_a_portrait_picture_is_fitted_whole_never_cropped_or_stretched():
    portrait = np.zeros((1000, 600, 3), np.uint8)
    portrait[:] = COLOURS[1]
    portrait[:80] = (255, 255, 0)  # the face's place: the top
    shot, fitted = film_frames.picture_shot(portrait, (1280, 720), 0)
    assert fitted
    for u in (0.0, 0.5, 1.0):
        frame = shot.render(u)
        rows = np.flatnonzero((np.abs(frame.astype(int) - (255, 255, 0)).sum(axis=2) < 60).any(axis=1))
        assert rows.size and rows[0] < 60, "the top of the picture is in every frame"
        columns = np.flatnonzero(np.abs(frame[360].astype(int) - COLOURS[1]).sum(axis=1) < 40)
        height = 720 * 0.96 * 1.05 / film_frames.FIT_ZOOM ** (u > 0)  # about the frame's height
        assert abs(columns.size / height - 600 / 1000) < 0.08, "aspect kept"
    assert film_frames.is_cover((1600, 1200), (1280, 720))  # 4:3 on 16:9: cropped a little, panned
    assert not film_frames.is_cover((3000, 800), (720, 1280))  # a panorama on 9:16: fitted
    assert not film_frames.is_cover((900, 1200), (720, 720))  # a portrait on a square: fitted


def test_no_pictures_gives_a_card_per_paragraph_over_the_colour(story, tmp_path):
    audio, _, _ = story
    plan = film.build_film_plan(
        audio=str(audio), cues=CUES, script=SCRIPT, pictures=[], resolution=360, background="#204080"
    )
    segments = film.timeline(SECONDS, plan.cues, plan.paragraphs, 0)
    assert [s.kind for s in segments] == ["title", "card", "card", "card", "end"]
    done, _ = render(plan, tmp_path)
    (frame,) = frames_at(done.files[film.FILM], [4.5], (640, 360))
    corner = frame[5:40, 5:40].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - (0x20 * 0.75, 0x40 * 0.75, 0x80 * 0.75)).max() < 25  # the colour, vignetted
    assert (frame[120:240].min(axis=2) > 225).sum() > 200  # the card's words in the middle


def test_bad_pictures_are_left_out_with_a_note_and_the_film_still_made(story, tmp_path):
    audio, _pictures, folder = story
    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    tiny = picture(folder / "tiny.png", (3, 3), COLOURS[2])
    huge = folder / "huge.jpg"
    Image.new("RGB", (6000, 4000), COLOURS[0]).save(huge, quality=60)
    plan = film.build_film_plan(
        audio=str(audio),
        cues=CUES,
        script=SCRIPT,
        pictures=[str(broken), str(tiny), str(huge)],
        resolution=360,
    )
    done, _ = render(plan, tmp_path)
    assert done.params["pictures_used"] == 2
    assert any("Picture 1" in note and "left out" in note for note in done.notes)
    assert abs(float(probe(done.files[film.FILM])["format"]["duration"]) - SECONDS) <= 0.2


def test_three_hundred_pictures_use_as_many_as_the_film_holds(story, tmp_path):
    audio, _, folder = story
    many = []
    for i in range(300):
        many.append(str(picture(folder / f"many-{i}.png", (40, 30), COLOURS[i % 3])))
    plan = film.build_film_plan(audio=str(audio), cues=CUES, script=SCRIPT, pictures=many, resolution=360)
    done, _ = render(plan, tmp_path)
    holds = film.capacity(SECONDS, plan.cues)
    assert done.params["pictures_used"] == holds < 300
    assert any("the first" in note for note in done.notes)
    with pytest.raises(InvalidInput, match="at most 500"):
        film.build_film_plan(audio=str(audio), cues=CUES, script=SCRIPT, pictures=many * 2)


def test_more_pictures_than_paragraphs_still_change_on_each_paragraph():
    segments = film.timeline(SECONDS, CUES, film.paragraphs_of(SCRIPT), 4)
    pictures = [s for s in segments if s.kind == "picture"]
    assert len(pictures) == 4
    assert {round(s.start, 3) for s in pictures} >= {
        round(p.start, 3) for p in film.timeline(SECONDS, CUES, film.paragraphs_of(SCRIPT), 3)[1:4]
    }
    fewer = film.timeline(SECONDS, CUES, film.paragraphs_of(SCRIPT), 2)
    assert [s.kind for s in fewer] == ["title", "picture", "picture", "end"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"aspect": "4:3"}, "Format"),
        ({"resolution": 999}, "Resolution"),
        ({"subtitles": "karaoke"}, "Subtitles"),
        ({"background": "blue-ish"}, "not a colour"),
        ({"audio": None}, "no story audio"),
        ({"title": "x" * 500}, "Title is too long"),
    ],
)
def test_bad_settings_get_a_clear_message(story, changes, message):
    audio, _, _ = story
    settings = {"audio": str(audio), "cues": CUES, "script": SCRIPT} | changes
    with pytest.raises(InvalidInput, match=message):
        film.build_film_plan(**settings)


def test_a_corrupt_audio_file_gets_a_clear_message(tmp_path):
    bad = tmp_path / "story.wav"
    bad.write_bytes(b"RIFF....WAVE garbage")
    with pytest.raises(InvalidInput, match="audio cannot be read"):
        film.build_film_plan(audio=str(bad), cues=(), script="")


# -- stop --------------------------------------------------------------------------------


def test_stop_kills_ffmpeg_and_leaves_no_film(story, tmp_path):
    audio, pictures, _ = story
    plan = film.build_film_plan(
        audio=str(audio), cues=CUES, script=SCRIPT, pictures=[str(p) for p in pictures], resolution=720
    )
    cancel = threading.Event()
    items = []
    for item in film.render_film(plan, tmp_path, cancel):
        items.append(item)
        if isinstance(item, film.FilmProgress) and item.frames_done > 10:
            cancel.set()
    assert not any(isinstance(i, film.Film) for i in items)
    assert not (tmp_path / film.FILM).exists() and not (tmp_path / film.POSTER).exists()
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path / film.FILM)], capture_output=True).stdout
    assert not leftover.strip(), "ffmpeg still runs"


# -- words -------------------------------------------------------------------------------


def test_chinese_subtitles_use_a_chinese_font_and_wrap_to_two_lines():
    assert film_text.font_file(True) is not None, "install fonts-wqy-microhei (packages.txt)"
    style = film_text.SubtitleStyle(720, 1280)
    text = "灯塔看守人爬上楼梯，灯光旋转，船只在风暴中驶回家，海面终于平静下来了，夜色温柔地落在港口。"
    pieces = film_text.split_cue(Cue(1.0, 5.0, text), style)
    assert all(len(lines) <= 2 for _, _, lines in pieces)
    assert "".join("".join(lines) for _, _, lines in pieces) == text
    face = film_text.font_for(text, 40)
    assert all(face.getlength(line) <= style.safe_width for _, _, lines in pieces for line in lines)
    glyphs = {ch: np.asarray(film_text.draw_lines([ch], 40, shadow=False)[1]).tobytes() for ch in "灯塔海"}
    assert len(set(glyphs.values())) == 3, "real glyphs, not the same missing-glyph box"
    assert pieces[0][0].start == 1.0 and pieces[-1][0].end == 5.0


def test_a_long_english_cue_is_split_in_time_when_two_lines_cannot_hold_it():
    style = film_text.SubtitleStyle(360, 640)
    text = " ".join(["lighthouse"] * 30)
    pieces = film_text.split_cue(Cue(0.0, 6.0, text), style)
    assert len(pieces) > 1 and all(len(lines) <= 2 for _, _, lines in pieces)
    assert next(round(p[0].start, 3) for p in pieces) == 0.0 and pieces[-1][0].end == 6.0
    assert all(a[0].end == b[0].start for a, b in itertools.pairwise(pieces))


def test_frame_sizes_and_colours():
    assert film.frame_size("16:9", 1080) == (1920, 1080)
    assert film.frame_size("9:16", 720) == (720, 1280)
    assert film.frame_size("1:1", 1080) == (1080, 1080)
    assert film.frame_size("16:9", 480) == (854, 480)
    assert film.parse_colour("#fff") == (255, 255, 255)
    assert film.parse_colour("rgba(10, 20, 30, 1)") == (10, 20, 30)
