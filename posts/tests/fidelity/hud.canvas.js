// Written with an HTML panel beside it (see hud.html).
const stage = document.getElementById("stage");
stage.width = stage.clientWidth;
stage.height = stage.clientHeight;
const g = stage.getContext("2d");
g.fillStyle = "#e63946";
g.fillRect(stage.width / 4, stage.height / 4, stage.width / 2, stage.height / 2);
document.getElementById("hud").textContent = "drawn at " + stage.width + "x" + stage.height;
