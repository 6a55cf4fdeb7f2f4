// First local run: create .dev.vars from the example so the operator API is usable at once.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (edit it to set your own secrets)");
}
