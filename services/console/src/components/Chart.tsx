// ECharts, imported piece by piece: only the bar, line and pie charts and
// the components they use go into the bundle, drawn on canvas.

import { useEffect, useRef } from 'react'
import * as echarts from 'echarts/core'
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts'
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components'

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>

export function Chart(props: { option: ChartOption; height?: number; label: string; testId?: string; onDrawn?: () => void; dark?: boolean }) {
  const el = useRef<HTMLDivElement>(null)
  const chart = useRef<echarts.ECharts | null>(null)
  const drawn = useRef(props.onDrawn)
  drawn.current = props.onDrawn

  useEffect(() => {
    if (!el.current) return
    const c = echarts.init(el.current, props.dark ? 'dark' : undefined, { renderer: 'canvas' })
    chart.current = c
    c.on('finished', () => drawn.current?.())
    const ro = new ResizeObserver(() => c.resize())
    ro.observe(el.current)
    return () => {
      ro.disconnect()
      c.dispose()
      chart.current = null
    }
  }, [props.dark])

  useEffect(() => {
    chart.current?.setOption(props.option, { notMerge: true })
  }, [props.option, props.dark])

  // The canvas says nothing to a screen reader: the figure's label does, and
  // each chart sits next to a table or figures with the same numbers.
  return <div ref={el} role="img" aria-label={props.label} data-testid={props.testId} className="chart" style={{ height: props.height ?? 280 }} />
}
