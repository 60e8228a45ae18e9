// A third entry, so that esbuild puts MapLibre in a chunk of its own, which changes only when MapLibre does (the committed dist/ then changes little when the pages do).
export * from 'maplibre-gl';
