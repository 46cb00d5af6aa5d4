import { Promise } from "../natives.js";

// p5.sound is not bundled, and a post makes no sound: a sketch written with it still runs, on
// stand-ins that play nothing, measure silence and never wait (no user gesture, no file to load).
// Every member of a stand-in is a stand-in, calling one gives one, and it reads as 0 in arithmetic
// and as an empty list, so spectrum.length, amplitude.getLevel() * 200 and the like are 0.
const silent = new Proxy(function silent() {}, {
  get(target, key) {
    if (key === Symbol.toPrimitive) return () => 0;
    if (key === "then") return undefined; // not a promise: `await loadSound(…)` gets the sound
    if (key === "length") return 0;
    if (typeof key === "string" && /^is[A-Z]/.test(key)) return () => key === "isLoaded";
    return silent;
  },
  set: () => true,
  apply: () => silent,
  construct: () => silent,
});

const CLASSES = [
  "SoundFile", "Oscillator", "SinOsc", "TriOsc", "SawOsc", "SqrOsc", "Noise", "Pulse", "Envelope", "Env",
  "FFT", "Amplitude", "AudioIn", "Delay", "Reverb", "Convolver", "Filter", "LowPass", "HighPass", "BandPass",
  "EQ", "Panner3D", "Distortion", "Compressor", "Gain", "PolySynth", "MonoSynth", "SoundLoop", "Part",
  "Phrase", "Score", "PeakDetect", "SoundRecorder",
];

export function installSilentSound(P5) {
  if (P5.SoundFile) return;
  for (const name of CLASSES) P5[name] = silent;
  const proto = P5.prototype;
  proto.loadSound = function loadSound(path, callback) {
    if (typeof callback === "function") Promise.resolve().then(() => callback(silent));
    return silent;
  };
  proto.userStartAudio = () => Promise.resolve();
  for (const name of ["soundFormats", "getAudioContext", "outputVolume", "masterVolume", "getOutputVolume", "createConvolver"]) {
    proto[name] = silent;
  }
  proto.midiToFreq ??= (midi) => 440 * 2 ** ((midi - 69) / 12);
  proto.freqToMidi ??= (frequency) => Math.round(12 * Math.log2(frequency / 440) + 69);
}
