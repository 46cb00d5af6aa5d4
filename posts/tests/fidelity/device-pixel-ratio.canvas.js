// Sharp on any screen: the canvas holds devicePixelRatio pixels per CSS pixel.
const dpr = window.devicePixelRatio || 1;
const c = document.createElement("canvas");
c.width = window.innerWidth * dpr;
c.height = window.innerHeight * dpr;
document.body.appendChild(c);
const g = c.getContext("2d");
g.scale(dpr, dpr);
g.fillStyle = "#003049";
g.fillRect(0, 0, window.innerWidth, window.innerHeight);
g.fillStyle = "#fcbf49";
g.fillRect(window.innerWidth - 100, window.innerHeight - 100, 100, 100);
