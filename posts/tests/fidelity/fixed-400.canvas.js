// A 400x400 sketch, as the p5 editor's createCanvas(400, 400) sets it up.
canvas.width = 400;
canvas.height = 400;
ctx.fillStyle = "#22223b";
ctx.fillRect(0, 0, 400, 400);
ctx.fillStyle = "#f2e9e4";
ctx.beginPath();
ctx.arc(200, 200, 120, 0, Math.PI * 2);
ctx.fill();
