/**
 * The Hurdle icon of the demo and console pages, as SVG: every browser tab asks for
 * `/favicon.ico` unless the page names an icon, and a missing one is a 404 in every log.
 * One vector file serves both paths (browsers read an SVG icon whatever the path's suffix).
 */

/** A bar over a rising track: a hurdle, in the console's accent blue. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#0b63ce"/>
<path d="M8 24V12M24 24V12M6 12h20" stroke="#fff" stroke-width="3.5" stroke-linecap="round" fill="none"/>
</svg>
`;
