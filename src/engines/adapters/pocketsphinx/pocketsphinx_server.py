"""Warm pocketsphinx decoder for speech-gateway (Debian's python3-pocketsphinx).

Loads the acoustic model, language model and dictionary once, then forks one child per
request: the child starts from the pristine loaded state (copy-on-write, no reload), so
every request is decoded exactly as a fresh `pocketsphinx_continuous` run would decode it
(live CMN, VAD and search state never leak between requests), without its ~0.5 s start-up.

Usage: pocketsphinx_server.py ARGFILE  (ARGFILE: "-flag value" lines, as -argfile takes)
stdin, one JSON object per line:  {"id": N, "input": RAW_PATH, "output": JSON_PATH, "jsgf": PATH|null}
stdout, one JSON object per line: {"ready": true} | {"fatal": MESSAGE}
                                  {"id": N, "pid": CHILD_PID} | {"id": N, "exit": CODE}
The child writes {"utterances": [{"text", "words": [[word, start, end]]}]} or
{"error": MESSAGE, "kind": "grammar"|"failed"} to the output path. RAW_PATH holds 16 kHz
mono s16le. When stdin closes (the gateway went away) every child is killed and the
server exits.
"""

import ctypes
import json
import os
import re
import select
import signal
import sys

SAMPLES_PER_READ = 2048  # what pocketsphinx_continuous reads per step
FRAME_RATE = 100  # -frate default: frames per second


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def name_process(name):
    """Sets the process's comm (seen in /proc/PID/stat) so the gateway's tests can find it."""
    try:
        ctypes.CDLL("libc.so.6").prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
    except OSError:
        pass


def word_times(decoder):
    words = []
    for seg in decoder.seg():
        words.append([seg.word, seg.start_frame / FRAME_RATE, seg.end_frame / FRAME_RATE])
    return words


def decode(decoder, pcm):
    """The loop of pocketsphinx_continuous's recognize_from_file: utterances split where speech ends."""
    utterances = []

    def close_utterance():
        hyp = decoder.hyp()
        utterances.append({"text": hyp.hypstr if hyp is not None else "", "words": word_times(decoder)})

    decoder.start_utt()
    in_utterance = False
    step = SAMPLES_PER_READ * 2
    for at in range(0, len(pcm), step):
        decoder.process_raw(pcm[at : at + step], False, False)
        in_speech = decoder.get_in_speech()
        if in_speech and not in_utterance:
            in_utterance = True
        if not in_speech and in_utterance:
            decoder.end_utt()
            close_utterance()
            decoder.start_utt()
            in_utterance = False
    decoder.end_utt()
    if in_utterance:
        close_utterance()
    return utterances


def missing_word(decoder, grammar_text):
    """The first word of a JSGF grammar that the dictionary lacks, if any."""
    body = re.sub(r"<[^>]*>|/\*.*?\*/|//[^\n]*", " ", grammar_text, flags=re.S)
    body = re.sub(r"^\s*(#JSGF[^;]*|grammar[^;]*|import[^;]*);", " ", body, flags=re.M)
    for token in re.findall(r"[A-Za-z][A-Za-z'.-]*", body):
        if token in ("public",):
            continue
        if decoder.lookup_word(token.lower()) is None:
            return token.lower()
    return None


def serve_request(decoder, request):
    name_process("sg-stt-decode")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    result = {}
    code = 0
    try:
        if request.get("jsgf"):
            with open(request["jsgf"], encoding="utf-8") as grammar_file:
                grammar_text = grammar_file.read()
            word = missing_word(decoder, grammar_text)
            if word is not None:
                raise ValueError("the word '%s' is not in the recogniser's dictionary" % word)
            try:
                decoder.set_jsgf_string("request", grammar_text)
                decoder.set_search("request")
            except Exception:
                raise ValueError("the grammar is not valid JSGF")
        with open(request["input"], "rb") as audio:
            pcm = audio.read()
        result = {"utterances": decode(decoder, pcm)}
    except ValueError as error:
        result = {"error": str(error), "kind": "grammar"}
        code = 3
    except Exception as error:  # anything else is the engine's failure, not the client's
        result = {"error": "%s: %s" % (type(error).__name__, error), "kind": "failed"}
        code = 4
    with open(request["output"], "w", encoding="utf-8") as out:
        json.dump(result, out)
    os._exit(code)


def main():
    try:
        from pocketsphinx import Decoder

        decoder = Decoder(Decoder.file_config(sys.argv[1]))
    except Exception as error:
        emit({"fatal": "%s: %s" % (type(error).__name__, error)})
        return 1
    name_process("sg-stt-server")
    emit({"ready": True})
    children = {}
    stdin = sys.stdin.buffer
    pending = b""
    while True:
        readable, _, _ = select.select([stdin], [], [], 0.05)
        if readable:
            chunk = os.read(stdin.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not line.strip():
                    continue
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    serve_request(decoder, request)
                children[pid] = request["id"]
                emit({"id": request["id"], "pid": pid})
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            request_id = children.pop(pid, None)
            if request_id is not None:
                code = os.waitstatus_to_exitcode(status)
                emit({"id": request_id, "exit": code})
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
